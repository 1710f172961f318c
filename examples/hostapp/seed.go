package main

import (
	"context"
	"errors"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Account is a user with their photos and orders, for seeding.
type Account struct {
	User   User
	Images []Image
	Orders []Order
}

// DemoAccounts are the people the README's walk-through asks about.
func DemoAccounts(now time.Time) []Account {
	day := 24 * time.Hour
	return []Account{
		{
			User: User{Email: "ada@example.com", Name: "Ada Lovelace", Phone: "+44 20 7946 0001", City: "London",
				SaleSharing: true, TargetedAds: true, ModelTraining: true, Marketing: true, Profiling: true},
			Images: []Image{
				{Filename: "engine.jpg", Caption: "The analytical engine", UploadedAt: now.Add(-30 * day)},
				{Filename: "notes.png", Caption: "Note G", UploadedAt: now.Add(-2 * day)},
			},
			Orders: []Order{
				{AmountCents: 1299, PlacedAt: now.Add(-20 * day)},
				{AmountCents: 4500, PlacedAt: now.Add(-1 * day)},
			},
		},
		{
			User: User{Email: "grace@example.com", Name: "Grace Hopper", Phone: "+1 202 555 0102", City: "Arlington",
				TargetedAds: true, Marketing: true},
			Images: []Image{{Filename: "bug.jpg", Caption: "First actual case of bug being found", UploadedAt: now.Add(-10 * day)}},
			Orders: []Order{{AmountCents: 999, PlacedAt: now.Add(-5 * day)}},
		},
	}
}

// SeedDemo seeds DemoAccounts.
func (a *App) SeedDemo(ctx context.Context) error {
	return a.Seed(ctx, DemoAccounts(a.now())...)
}

// Seed stores accounts, skipping any whose email is already there, so that
// seeding on every start is safe.
func (a *App) Seed(ctx context.Context, accounts ...Account) error {
	return a.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, acc := range accounts {
			user := acc.User
			user.ID = 0
			user.Email = strings.ToLower(strings.TrimSpace(user.Email))
			err := tx.Where("email = ?", user.Email).Take(&User{}).Error
			if err == nil {
				continue
			}
			if !errors.Is(err, gorm.ErrRecordNotFound) {
				return err
			}
			if err := tx.Create(&user).Error; err != nil {
				return err
			}
			for _, img := range acc.Images {
				img.ID, img.UserID = 0, user.ID
				if err := tx.Create(&img).Error; err != nil {
					return err
				}
			}
			for _, o := range acc.Orders {
				o.ID, o.UserID = 0, &user.ID
				if err := tx.Create(&o).Error; err != nil {
					return err
				}
			}
		}
		return nil
	})
}
