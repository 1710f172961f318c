package main

import (
	"html/template"
	"net/http"
	"strings"
)

// usersPage shows the demo what the app holds, so a reader can watch an
// account disappear or change as rightsdesk's jobs are done.
var usersPage = template.Must(template.New("users").Parse(`<!doctype html>
<title>photos — users</title>
<h1>Users</h1>
<table border="1" cellpadding="4">
<tr><th>id<th>email<th>name<th>phone<th>city<th>images<th>orders<th>opted in to</tr>
{{range .}}<tr><td>{{.ID}}<td>{{.Email}}<td>{{.Name}}<td>{{.Phone}}<td>{{.City}}<td>{{.Images}}<td>{{.Orders}}<td>{{.OptIns}}</tr>
{{else}}<tr><td colspan="8">no users</tr>
{{end}}</table>
`))

type userLine struct {
	User
	Images, Orders int64
	OptIns         string
}

func (a *App) listUsers(w http.ResponseWriter, r *http.Request) {
	db := a.db.WithContext(r.Context())
	var users []User
	if err := db.Order("id").Find(&users).Error; err != nil {
		http.Error(w, "could not read the users", http.StatusInternalServerError)
		return
	}
	lines := make([]userLine, len(users))
	for i, u := range users {
		lines[i] = userLine{User: u, OptIns: optIns(u)}
		db.Model(&Image{}).Where("user_id = ?", u.ID).Count(&lines[i].Images)
		db.Model(&Order{}).Where("user_id = ?", u.ID).Count(&lines[i].Orders)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = usersPage.Execute(w, lines)
}

func optIns(u User) string {
	flags := []bool{u.SaleSharing, u.TargetedAds, u.ModelTraining, u.Marketing, u.Profiling} // optInColumns' order
	var on []string
	for i, set := range flags {
		if set {
			on = append(on, optInColumns[i])
		}
	}
	return strings.Join(on, ", ")
}
