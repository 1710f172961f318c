package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// decodeJSON reads a JSON body strictly: unknown fields, trailing data and
// wrong types are 400s naming the field. The body size is capped by the
// BodyLimit middleware (413).
func decodeJSON(c echo.Context, dst any) error {
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		var he *echo.HTTPError
		if errors.As(err, &he) {
			return he
		}
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return echo.ErrStatusRequestEntityTooLarge
		}
		return apiErr(http.StatusBadRequest, "invalid_body", "the body could not be read")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return apiErr(http.StatusBadRequest, "invalid_json", "the body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return apiErr(http.StatusBadRequest, "invalid_json", "the body must hold exactly one JSON object")
	}
	return nil
}

func jsonError(err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return apiErr(http.StatusBadRequest, "invalid_json", "the body must be a JSON object")
		}
		return fieldError(http.StatusBadRequest, "invalid_type", field, field+" must be of type "+jsonType(typeErr.Type.Kind().String()))
	case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF):
		return apiErr(http.StatusBadRequest, "invalid_json", "the body is not valid JSON")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return fieldError(http.StatusBadRequest, "unknown_field", field, "unknown field "+field)
	}
	return apiErr(http.StatusBadRequest, "invalid_json", "the body is not valid JSON")
}

func jsonType(kind string) string {
	switch kind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice", "array":
		return "array"
	case "struct", "map", "ptr":
		return "object"
	}
	return "number"
}
