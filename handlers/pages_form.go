package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/internal/policy"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/requests"
)

// The request form works without JavaScript in two steps: GET / lists the
// request types the policy offers (a GET form), GET /?type=X shows the
// fields of type X, posted to POST /requests.

// typeInfo is how the form presents a request type.
type typeInfo struct {
	Title, Explain   string
	Details, Hint    string // the label and hint of the free-text field
	DetailsRequired  bool
	DetailsMaxLength int
}

var typeInfos = map[string]typeInfo{
	"access":             {Title: "See the data we hold about you", Explain: "Find out what personal data we hold about you, why we use it and who we share it with, and get a copy.", Details: "Anything that helps us find your data", Hint: "For example the accounts or services you used."},
	"export":             {Title: "Get a copy of your data to take elsewhere", Explain: "Get the data you gave us in a common, machine-readable format that you can move to another service.", Details: "Anything that helps us find your data", Hint: "For example the accounts or services you used."},
	"deletion":           {Title: "Delete your data", Explain: "Ask us to delete the personal data we hold about you.", Details: "Anything that helps us find your data", Hint: "For example the accounts you want deleted. We will tell you if the law makes us keep something."},
	"correction":         {Title: "Correct your data", Explain: "Ask us to fix personal data about you that is wrong or incomplete.", Details: "Anything else we should know", Hint: "For example why the data is wrong."},
	"opt_out":            {Title: "Opt out of selling, sharing or other uses", Explain: "Stop us selling or sharing your data, targeting ads at you, or using your data for the purposes you choose.", Details: "Anything else we should know"},
	"consent_withdrawal": {Title: "Withdraw your consent", Explain: "Withdraw consent you gave us to use your data for a purpose.", Details: "Anything else we should know"},
	"restriction":        {Title: "Limit how we use your data", Explain: "Ask us to keep your data but stop using it while a problem is sorted out, for example while we check that it is correct.", Details: "What should we stop doing, and why?"},
	"objection":          {Title: "Object to how we use your data", Explain: "Object to us using your data for a purpose, such as direct marketing or our legitimate interests.", Details: "What do you object to, and why?"},
	"nomination":         {Title: "Nominate someone to act for you", Explain: "Name a person who may exercise your rights for you if you die or become unable to.", Details: "Anything else we should know"},
	"grievance":          {Title: "Make a complaint", Explain: "Complain about how we handle your personal data or a request you made. Our grievance officer looks at every complaint.", Details: "What is your complaint?", DetailsRequired: false},
	"appeal":             {Title: "Appeal a decision", Explain: "Ask us to look again at a request of yours that we declined.", Details: "Why do you disagree with our decision?"},
}

// relationshipOptions are the answers to "who is the request for", in words.
var relationshipOptions = []formOption{
	{Value: "self", Label: "Myself"},
	{Value: "authorized_agent", Label: "Someone who authorised me to act for them (authorised agent)"},
	{Value: "parent_guardian", Label: "My child, or someone I am the legal guardian of"},
	{Value: "nominee", Label: "Someone who nominated me to act for them (nominee)"},
}

// correctionRows is how many corrections rows the form shows at least;
// maxCorrectionRows how many it reads.
const (
	correctionRows    = 3
	maxCorrectionRows = 20
)

// formField is one labelled input or textarea.
type formField struct {
	ID, Name, Label, Hint, Value, Error, Type, Autocomplete, Class string
	Required, NoSpellcheck, Invalid                                bool
	MaxLength, Rows                                                int
}

// DescribedBy is the control's aria-describedby: its hint and its error.
func (f formField) DescribedBy() string {
	var ids []string
	if f.Hint != "" {
		ids = append(ids, f.ID+"-hint")
	}
	if f.Error != "" {
		ids = append(ids, f.ID+"-error")
	}
	return strings.Join(ids, " ")
}

type formOption struct {
	Value, Label string
	Selected     bool
}

// formSelect is a labelled select.
type formSelect struct {
	formField
	Options []formOption
}

// formChecks is a fieldset of checkboxes or radios (Type).
type formChecks struct {
	ID, Legend, Hint, Error, Type string
	Boxes                         []formBox
}

// DescribedBy is the fieldset's aria-describedby.
func (g formChecks) DescribedBy() string {
	return formField{ID: g.ID, Hint: g.Hint, Error: g.Error}.DescribedBy()
}

type formBox struct {
	ID, Name, Value, Label, Hint string
	Checked, Required            bool
}

type correctionRow struct {
	N                        int
	Item, Current, Requested formField
}

// formError is one line of the error summary, linking to its field.
type formError struct{ Target, Message string }

// formView is the type chooser or the form of one type.
type formView struct {
	Errors []formError
	// The chooser.
	Types   formChecks
	Related string
	// The form.
	Type, Title, Explain string
	CSRF                 string
	Email, Name, Region  formField
	Details, RelatedRef  formField
	NomineeName          formField
	NomineeEmail         formField
	Relationship         formSelect
	Country              formSelect
	Scope, Purposes      formChecks
	ConcernsChild        formChecks
	Corrections          []correctionRow
	CorrectionsError     string
}

// formValues is what the requester typed, kept to show the form again.
type formValues struct {
	Type, Email, Name, Relationship, Country, Region, Details string
	Related, NomineeName, NomineeEmail                        string
	Scope, Purposes                                           []string
	ConcernsChild                                             bool
	Corrections                                               []models.Correction
}

func readForm(c echo.Context) (formValues, error) {
	form, err := c.FormParams()
	if err != nil {
		return formValues{}, echo.NewHTTPError(http.StatusBadRequest)
	}
	v := formValues{
		Type: form.Get("type"), Email: form.Get("email"), Name: form.Get("name"),
		Relationship: form.Get("relationship"), Country: form.Get("country"), Region: form.Get("region"),
		Details: form.Get("details"), Related: form.Get("related_reference"),
		NomineeName: form.Get("nominee_name"), NomineeEmail: form.Get("nominee_email"),
		Scope: form["scope"], Purposes: form["purposes"], ConcernsChild: form.Get("concerns_child") != "",
	}
	for i := 1; i <= maxCorrectionRows; i++ {
		n := "correction_" + strconv.Itoa(i) + "_"
		row := models.Correction{
			Field: strings.TrimSpace(form.Get(n + "field")), Current: strings.TrimSpace(form.Get(n + "current")),
			Requested: strings.TrimSpace(form.Get(n + "requested")),
		}
		if row != (models.Correction{}) {
			v.Corrections = append(v.Corrections, row)
		}
	}
	return v, nil
}

// input is the workflow's Input: the same as the JSON API gets. Fields the
// type does not have are left out, so that a stray field cannot refuse it.
func (v formValues) input() requests.Input {
	in := requests.Input{
		Type: v.Type, Email: v.Email, Name: v.Name, Relationship: v.Relationship,
		Country: v.Country, Region: v.Region, Details: v.Details,
	}
	switch v.Type {
	case "correction":
		in.Corrections = v.Corrections
	case "opt_out":
		in.Scope = v.Scope
	case "consent_withdrawal":
		in.Purposes = v.Purposes
	case "nomination":
		in.Nominee = &models.Nominee{Name: v.NomineeName, Email: v.NomineeEmail}
	case "grievance":
		in.RelatedReference, in.ConcernsChild = v.Related, v.ConcernsChild
	case "appeal":
		in.RelatedReference = v.Related
	}
	return in
}

// requestFormPage is GET /: the chooser, or with ?type= the type's form.
func (s *Server) requestFormPage(c echo.Context) error {
	typ := strings.TrimSpace(c.QueryParam("type"))
	related := strings.TrimSpace(c.QueryParam("related_reference"))
	if len(related) > 40 {
		related = ""
	}
	if typ == "" {
		return s.renderChooser(c, http.StatusOK, "", related)
	}
	if !s.Requests.Policy().Offers(typ) {
		return s.renderChooser(c, http.StatusBadRequest, typ, related)
	}
	v := formValues{Type: typ, Related: related}
	return s.renderForm(c, http.StatusOK, v, nil)
}

// submitRequestForm is POST /requests. Its success page is the same
// whether or not the email is known, and shows neither the email nor the
// reference: only the email's owner learns them.
func (s *Server) submitRequestForm(c echo.Context) error {
	v, err := readForm(c)
	if err != nil {
		return err
	}
	if !s.Requests.Policy().Offers(v.Type) {
		return s.renderChooser(c, http.StatusBadRequest, v.Type, v.Related)
	}
	if err := s.limitEmail(c, v.Email); err != nil {
		return err
	}
	in := v.input()
	in.GPC = gpc(c)
	_, err = s.Requests.SubmitWeb(c.Request().Context(), in)
	var fe *requests.FieldError
	if errors.As(err, &fe) {
		return s.renderForm(c, http.StatusUnprocessableEntity, v, fe)
	}
	if err != nil {
		return err
	}
	ttl := s.Requests.Policy().Verification.TokenTTL
	return s.renderPage(c, http.StatusOK, "check_email", pageData{Title: "Check your email", Message: durationWords(ttl)})
}

func (s *Server) renderChooser(c echo.Context, status int, badType, related string) error {
	p := s.Requests.Policy()
	f := &formView{Related: related}
	f.Types = formChecks{ID: "type", Legend: "What would you like to do?", Type: "radio"}
	for _, t := range policy.RequestTypes {
		if !p.Offers(t) {
			continue
		}
		info := typeInfos[t]
		f.Types.Boxes = append(f.Types.Boxes, formBox{
			ID: "type-" + t, Name: "type", Value: t, Label: info.Title, Hint: info.Explain, Required: true,
		})
	}
	if badType != "" {
		f.Types.Error = "Choose one of the requests listed: we do not offer “" + shortenEcho(badType, 40) + "”."
		f.Errors = []formError{{Target: f.Types.Boxes[0].ID, Message: f.Types.Error}}
	}
	return s.renderPage(c, status, "choose", pageData{Title: "Make a privacy request", Form: f})
}

// renderForm shows the form of v.Type with what was typed, and fe (if any)
// next to its field and in the summary.
func (s *Server) renderForm(c echo.Context, status int, v formValues, fe *requests.FieldError) error {
	p := s.Requests.Policy()
	info := typeInfos[v.Type]
	f := &formView{Type: v.Type, Title: info.Title, Explain: info.Explain, CSRF: pageCSRFToken(c)}
	f.Email = formField{ID: "email", Name: "email", Label: "Your email address", Type: "email", Value: v.Email,
		Hint:         "We send a link to this address to check that it is yours, and write to you there about the request.",
		Autocomplete: "email", Required: true, NoSpellcheck: true, MaxLength: 254}
	f.Name = formField{ID: "name", Name: "name", Label: "Your full name", Type: "text", Value: v.Name,
		Autocomplete: "name", MaxLength: 200}
	rel := v.Relationship
	if rel == "" {
		rel = "self"
	}
	f.Relationship = formSelect{formField: formField{ID: "relationship", Name: "relationship", Label: "Who is this request for?",
		Hint: "If you act for someone else, we will ask for proof before we complete the request.", Required: true},
		Options: withSelected(relationshipOptions, rel)}
	f.Country = formSelect{formField: formField{ID: "country", Name: "country", Label: "Where do you live?",
		Hint: "This tells us which law's time limits apply to your request.", Autocomplete: "country"},
		Options: countryOptions(p, strings.ToUpper(strings.TrimSpace(v.Country)))}
	f.Region = formField{ID: "region", Name: "region", Label: "State or region", Type: "text", Value: v.Region,
		Hint:         "In the United States, your state: for example CA for California or VA for Virginia.",
		Autocomplete: "address-level1", MaxLength: 6, Class: "short", NoSpellcheck: true}
	f.Details = formField{ID: "details", Name: "details", Label: info.Details, Hint: info.Hint, Value: v.Details,
		Rows: 6, MaxLength: 10000}

	switch v.Type {
	case "correction":
		n := max(correctionRows, len(v.Corrections)+1)
		for i := range min(n, maxCorrectionRows) {
			var row models.Correction
			if i < len(v.Corrections) {
				row = v.Corrections[i]
			}
			id := fmt.Sprintf("correction-%d-", i+1)
			name := fmt.Sprintf("correction_%d_", i+1)
			f.Corrections = append(f.Corrections, correctionRow{N: i + 1,
				Item: formField{ID: id + "field", Name: name + "field", Label: "What is wrong", Type: "text", Value: row.Field,
					MaxLength: 2000, Required: i == 0},
				Current: formField{ID: id + "current", Name: name + "current", Label: "What we have now", Type: "text",
					Value: row.Current, MaxLength: 2000},
				Requested: formField{ID: id + "requested", Name: name + "requested", Label: "What it should be", Type: "text",
					Value: row.Requested, MaxLength: 2000, Required: i == 0},
			})
		}
		f.Corrections[0].Item.Hint = "For example: postal address, date of birth."
	case "opt_out":
		f.Scope = formChecks{ID: "scope", Legend: "What do you want to opt out of?", Hint: "Choose all that apply.", Type: "checkbox"}
		for _, sc := range policy.OptOutScopes {
			if pu, ok := p.Purpose(sc); ok {
				f.Scope.Boxes = append(f.Scope.Boxes, formBox{ID: "scope-" + sc, Name: "scope", Value: sc,
					Label: purposeTitle(pu), Hint: pu.Description, Checked: slices.Contains(v.Scope, sc)})
			}
		}
	case "consent_withdrawal":
		f.Purposes = formChecks{ID: "purposes", Legend: "Which consents do you withdraw?", Hint: "Choose all that apply.", Type: "checkbox"}
		for _, pu := range p.Purposes {
			f.Purposes.Boxes = append(f.Purposes.Boxes, formBox{ID: "purpose-" + pu.Key, Name: "purposes", Value: pu.Key,
				Label: purposeTitle(pu), Hint: pu.Description, Checked: slices.Contains(v.Purposes, pu.Key)})
		}
	case "nomination":
		f.NomineeName = formField{ID: "nominee_name", Name: "nominee_name", Label: "Their full name", Type: "text",
			Value: v.NomineeName, Required: true, MaxLength: 200, Autocomplete: "off"}
		f.NomineeEmail = formField{ID: "nominee_email", Name: "nominee_email", Label: "Their email address", Type: "email",
			Value: v.NomineeEmail, Required: true, MaxLength: 254, Autocomplete: "off", NoSpellcheck: true}
	case "grievance", "appeal":
		f.RelatedRef = formField{ID: "related_reference", Name: "related_reference", Type: "text", Value: v.Related,
			Label: "Reference of the request it is about", Hint: "It starts with DSR-, for example DSR-ABCD-EFGH. You find it in our emails.",
			MaxLength: 40, Class: "short", NoSpellcheck: true, Autocomplete: "off"}
		if v.Type == "appeal" {
			f.RelatedRef.Label, f.RelatedRef.Required = "Reference of the request we declined", true
		}
		f.ConcernsChild = formChecks{ID: "concerns-child-group", Legend: "Does your complaint concern a child?", Type: "checkbox",
			Boxes: []formBox{{ID: "concerns_child", Name: "concerns_child", Value: "yes", Checked: v.ConcernsChild,
				Label: "Yes, it concerns the data of a child (under 18)", Hint: "We then answer sooner."}}}
	}
	if fe != nil {
		s.placeError(f, fe)
	}
	return s.renderPage(c, status, "request", pageData{Title: info.Title, Form: f})
}

// formFieldLabels name the workflow's fields in the error summary.
var formFieldLabels = map[string]string{
	"type": "Request", "email": "Your email address", "name": "Your name", "relationship": "Who the request is for",
	"country": "Where you live", "regime": "Where you live", "region": "State or region", "details": "Details",
	"related_reference": "The reference", "nominee": "The nominee",
}

// placeError puts the workflow's error next to its field.
func (s *Server) placeError(f *formView, fe *requests.FieldError) {
	msg := formErrorMessage(fe)
	set := func(field *formField) {
		field.Error = msg
		f.Errors = append(f.Errors, formError{Target: field.ID, Message: msg})
	}
	group := func(g *formChecks) {
		g.Error = msg
		target := g.ID
		if len(g.Boxes) > 0 {
			target = g.Boxes[0].ID
		}
		f.Errors = append(f.Errors, formError{Target: target, Message: msg})
	}
	switch fe.Field {
	case "email":
		set(&f.Email)
	case "name":
		set(&f.Name)
	case "relationship":
		set(&f.Relationship.formField)
	case "country", "regime":
		set(&f.Country.formField)
	case "region":
		set(&f.Region)
	case "details":
		set(&f.Details)
	case "related_reference":
		set(&f.RelatedRef)
	case "nominee":
		if strings.HasPrefix(fe.Message, "email") {
			set(&f.NomineeEmail)
		} else {
			set(&f.NomineeName)
		}
	case "scope":
		group(&f.Scope)
	case "purposes":
		group(&f.Purposes)
	case "corrections":
		f.CorrectionsError = msg
		target := "corrections"
		for i := range f.Corrections {
			f.Corrections[i].Item.Invalid, f.Corrections[i].Requested.Invalid = true, true
			if i == 0 {
				target = f.Corrections[i].Item.ID
			}
		}
		f.Errors = append(f.Errors, formError{Target: target, Message: msg})
	default:
		f.Errors = append(f.Errors, formError{Target: "request-form", Message: msg})
	}
}

// formErrorMessage words a workflow error for the form.
func formErrorMessage(fe *requests.FieldError) string {
	m := fe.Message
	switch {
	case fe.Field == "email" && m == "is required":
		return "Enter your email address."
	case fe.Field == "email":
		return "Enter a real email address, like name@example.com."
	case fe.Field == "scope" && strings.HasPrefix(m, "list"):
		return "Choose at least one thing to opt out of."
	case fe.Field == "purposes" && strings.HasPrefix(m, "list"):
		return "Choose at least one consent to withdraw."
	case fe.Field == "corrections" && strings.HasPrefix(m, "list"):
		return "Fill in at least one correction: what is wrong and what it should be."
	case fe.Field == "corrections" && strings.HasPrefix(m, "each"):
		return "Each correction needs what is wrong and what it should be."
	case fe.Field == "nominee" && strings.HasPrefix(m, "email"):
		return "Enter the nominee's email address, like name@example.com."
	case fe.Field == "nominee" && strings.HasPrefix(m, "needs"):
		return "Enter the name and email address of the person you nominate."
	case fe.Field == "region" && strings.HasPrefix(m, "needs"):
		return "Choose the country the state or region is in."
	case fe.Field == "related_reference" && strings.HasPrefix(m, "an appeal must name the denied"):
		return "Enter the reference of the request we declined."
	}
	label := formFieldLabels[fe.Field]
	if label == "" {
		label = strings.ReplaceAll(fe.Field, "_", " ")
	}
	if first, _, _ := strings.Cut(m, " "); slices.Contains([]string{"is", "must", "needs", "names", "contains"}, first) {
		return label + " " + m + "."
	}
	return label + ": " + m + "."
}

func withSelected(opts []formOption, selected string) []formOption {
	out := slices.Clone(opts)
	for i := range out {
		out[i].Selected = out[i].Value == selected
	}
	return out
}

func purposeTitle(p policy.Purpose) string {
	if p.Title != "" {
		return p.Title
	}
	return strings.ReplaceAll(p.Key, "_", " ")
}

// shortenEcho cuts user input quoted back on a page.
func shortenEcho(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// durationWords says how long a link lives: "24 hours", "7 days".
func durationWords(d time.Duration) string {
	h := int(d.Hours())
	switch {
	case h <= 0:
		return ""
	case h%24 == 0 && h > 24:
		return strconv.Itoa(h/24) + " days"
	case h == 1:
		return "1 hour"
	}
	return strconv.Itoa(h) + " hours"
}

// statusURL is the status page of a token with an optional notice.
func statusURL(token, done string) string {
	u := "/r/" + url.PathEscape(token)
	if done != "" {
		u += "?done=" + url.QueryEscape(done)
	}
	return u
}
