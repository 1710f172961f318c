// Package deps pins the module graph while the packages that use these
// dependencies are being written. Removed once every one has a real importer.
package deps

import (
	_ "github.com/PuerkitoBio/goquery"
	_ "github.com/getkin/kin-openapi/openapi3"
	_ "github.com/getsentry/sentry-go"
	_ "github.com/getsentry/sentry-go/echo"
	_ "github.com/golang-jwt/jwt/v5"
	_ "github.com/google/uuid"
	_ "github.com/labstack/echo-contrib/echoprometheus"
	_ "github.com/labstack/echo/v4"
	_ "github.com/mattn/go-sqlite3"
	_ "github.com/pressly/goose/v3"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/resend/resend-go/v2"
	_ "github.com/rickar/cal/v2"
	_ "go.yaml.in/yaml/v3"
	_ "golang.org/x/crypto/bcrypt"
	_ "golang.org/x/time/rate"
	_ "gorm.io/driver/postgres"
	_ "gorm.io/driver/sqlite"
	_ "gorm.io/gorm"
)
