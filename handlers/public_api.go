package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/rightsdesk/rightsdesk/models"
	"github.com/rightsdesk/rightsdesk/workflows/requests"
)

// intakeBody is the public intake's JSON, exactly the contract's fields.
type intakeBody struct {
	Type             string              `json:"type"`
	Email            string              `json:"email"`
	Name             string              `json:"name"`
	Regime           string              `json:"regime"`
	Country          string              `json:"country"`
	Region           string              `json:"region"`
	Relationship     string              `json:"relationship"`
	Details          string              `json:"details"`
	Scope            []string            `json:"scope"`
	Purposes         []string            `json:"purposes"`
	Corrections      []models.Correction `json:"corrections"`
	Nominee          *models.Nominee     `json:"nominee"`
	RelatedReference string              `json:"related_reference"`
	ConcernsChild    bool                `json:"concerns_child"`
}

func (b intakeBody) input() requests.Input {
	return requests.Input{
		Type: b.Type, Email: b.Email, Name: b.Name, Regime: b.Regime, Country: b.Country, Region: b.Region,
		Relationship: b.Relationship, Details: b.Details, Scope: b.Scope, Purposes: b.Purposes,
		Corrections: b.Corrections, Nominee: b.Nominee, RelatedReference: b.RelatedReference,
		ConcernsChild: b.ConcernsChild,
	}
}

// submitRequest is the public intake. Its answer is the same whether or not
// the email has made requests before.
func (s *Server) submitRequest(c echo.Context) error {
	var b intakeBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	if err := s.limitEmail(c, b.Email); err != nil {
		return err
	}
	in := b.input()
	in.GPC = gpc(c)
	r, err := s.Requests.Submit(c.Request().Context(), in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, map[string]string{"id": r.ID, "reference": r.Reference, "status": r.Status})
}

// gpc reports a Global Privacy Control signal: the header Sec-GPC: 1.
func gpc(c echo.Context) bool { return c.Request().Header.Get("Sec-GPC") == "1" }

type verificationBody struct {
	Token string `json:"token"`
}

// verifyRequest confirms an email with the token from the verification link.
func (s *Server) verifyRequest(c echo.Context) error {
	var b verificationBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	if b.Token == "" {
		return fieldError(http.StatusBadRequest, "invalid", "token", "token is required")
	}
	r, err := s.Requests.Verify(c.Request().Context(), b.Token)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.times.public(r))
}
