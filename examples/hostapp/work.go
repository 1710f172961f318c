package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"
)

const noAccount = "no account with this email"

// ordersKept is what a deletion leaves: the tax law, not the person,
// decides how long a sale's amount and date are kept.
var ordersKept = Kept{Data: "orders (amounts and dates)", Reason: "kept 10 years under tax law"}

// fulfil does a job's work inside tx and says what to answer. An error is
// a database failure: the transaction is rolled back and the job retried.
func fulfil(tx *gorm.DB, job Job) (Answer, error) {
	var user User
	err := tx.Where("lower(email) = lower(?)", job.Request.Email).Take(&user).Error
	found := err == nil
	if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
		return Answer{}, err
	}
	switch job.Type {
	case "access", "export":
		if !found {
			return Answer{Status: StatusDone, Reason: noAccount, Data: map[string]any{}}, nil
		}
		return access(tx, user)
	case "deletion":
		if !found {
			return Answer{Status: StatusDone, Reason: noAccount}, nil
		}
		return deletion(tx, user)
	case "correction":
		if !found {
			return Answer{Status: StatusFailed, Reason: noAccount}, nil
		}
		return correction(tx, user, job.Request.Corrections)
	case "opt_out", "consent_withdrawal":
		if !found {
			return Answer{Status: StatusDone, Reason: noAccount}, nil
		}
		return optOut(tx, user, slices.Concat(job.Request.Scope, job.Request.Purposes))
	default:
		return Answer{Status: StatusFailed, Reason: "this system does not handle " + job.Type}, nil
	}
}

func access(tx *gorm.DB, user User) (Answer, error) {
	images := []Image{}
	if err := tx.Where("user_id = ?", user.ID).Order("id").Find(&images).Error; err != nil {
		return Answer{}, err
	}
	orders := []Order{}
	if err := tx.Where("user_id = ?", user.ID).Order("id").Find(&orders).Error; err != nil {
		return Answer{}, err
	}
	return Answer{Status: StatusDone, Data: map[string]any{
		"users":  []User{user},
		"images": images,
		"orders": orders,
	}}, nil
}

func deletion(tx *gorm.DB, user User) (Answer, error) {
	if err := tx.Where("user_id = ?", user.ID).Delete(&Image{}).Error; err != nil {
		return Answer{}, err
	}
	anonymised := tx.Model(&Order{}).Where("user_id = ?", user.ID).Update("user_id", nil)
	if anonymised.Error != nil {
		return Answer{}, anonymised.Error
	}
	if err := tx.Delete(&user).Error; err != nil {
		return Answer{}, err
	}
	answer := Answer{Status: StatusDone}
	if anonymised.RowsAffected > 0 {
		answer.Kept = []Kept{ordersKept}
	}
	return answer, nil
}

// correctable maps the fields a person may correct here to their columns;
// email is the login and changes through the app's own verified flow.
var correctable = map[string]func(*User) *string{
	"name":  func(u *User) *string { return &u.Name },
	"phone": func(u *User) *string { return &u.Phone },
	"city":  func(u *User) *string { return &u.City },
}

func correction(tx *gorm.DB, user User, corrections []Correction) (Answer, error) {
	var changed []Change
	var current, refused []string
	for _, c := range corrections {
		field, ok := correctable[c.Field]
		switch {
		case !ok:
			refused = append(refused, c.Field+" (not correctable here)")
		case strings.TrimSpace(c.Requested) == "":
			refused = append(refused, c.Field+" (no value given)")
		case *field(&user) == c.Requested:
			current = append(current, c.Field)
		default:
			changed = append(changed, Change{Field: c.Field, From: *field(&user), To: c.Requested})
			*field(&user) = c.Requested
		}
	}
	var notes []string
	if len(current) > 0 {
		notes = append(notes, "already as requested: "+strings.Join(current, ", "))
	}
	if len(refused) > 0 {
		notes = append(notes, "not changed: "+strings.Join(refused, ", "))
	}
	if len(changed) == 0 && len(current) == 0 {
		if len(notes) == 0 {
			notes = append(notes, "no corrections were given")
		}
		return Answer{Status: StatusFailed, Reason: strings.Join(notes, "; ")}, nil
	}
	if len(changed) > 0 {
		updates := map[string]any{"name": user.Name, "phone": user.Phone, "city": user.City}
		if err := tx.Model(&User{}).Where("id = ?", user.ID).Updates(updates).Error; err != nil {
			return Answer{}, err
		}
	}
	return Answer{Status: StatusDone, Reason: strings.Join(notes, "; "), Changed: changed}, nil
}

// optInColumns are the uses a person can stop, by the names rightsdesk
// gives them in scope and purposes.
var optInColumns = []string{"sale_sharing", "targeted_ads", "model_training", "marketing", "profiling"}

// optOut clears the named opt-ins. One naming none clears them all: after
// a person has objected, leaving a use switched on is the costly mistake.
func optOut(tx *gorm.DB, user User, names []string) (Answer, error) {
	known := map[string]bool{}
	for _, c := range optInColumns {
		known[c] = true
	}
	var cleared, unknown []string
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			continue
		}
		seen[n] = true
		if known[n] {
			cleared = append(cleared, n)
		} else {
			unknown = append(unknown, n)
		}
	}
	if len(names) == 0 {
		cleared = optInColumns
	}
	reason := "nothing this system uses was named"
	if len(cleared) > 0 {
		updates := map[string]any{}
		for _, c := range cleared {
			updates[c] = false
		}
		if err := tx.Model(&User{}).Where("id = ?", user.ID).Updates(updates).Error; err != nil {
			return Answer{}, err
		}
		reason = "opted out of: " + strings.Join(cleared, ", ")
	}
	if len(unknown) > 0 {
		reason += fmt.Sprintf("; not used by this system: %s", strings.Join(unknown, ", "))
	}
	return Answer{Status: StatusDone, Reason: reason}, nil
}
