package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/rightsdesk/rightsdesk/workflows/clocks"

	// A time zone must validate the same on every host; minimal containers
	// have no zoneinfo, and an unknown zone would otherwise pass on a laptop
	// and stop start-up in production.
	_ "time/tzdata"
)

// Error is a problem in a policy file. Its message is one line naming the
// file and the line, so start-up can print it as is.
type Error struct {
	Source string
	Line   int // 0 when the problem has no line (the file cannot be read)
	Msg    string
}

func (e *Error) Error() string {
	// One line whatever a quoted value holds: start-up prints it as is.
	msg := strings.NewReplacer("\r", `\r`, "\n", `\n`).Replace(e.Msg)
	if e.Line == 0 {
		return fmt.Sprintf("policy file %s: %s", e.Source, msg)
	}
	return fmt.Sprintf("policy file %s: line %d: %s", e.Source, e.Line, msg)
}

// Load reads and parses the policy file at path.
func Load(path string) (*Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is already in the message
		}
		return nil, &Error{Source: path, Msg: "cannot read: " + err.Error()}
	}
	return Parse(data, path)
}

// Parse parses and validates a policy file; source names it in errors. The
// YAML is read twice: once by a strict decoder into the file's schema, which
// catches unknown keys and wrong shapes, then as a node tree, so every
// semantic error can point at the line of the value at fault.
func Parse(data []byte, source string) (*Policy, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlError(source, err)
	}
	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	if doc.Kind == 0 || isNull(doc) {
		return nil, &Error{Source: source, Line: max(doc.Line, 1), Msg: "the file is empty; a policy needs at least organization.name"}
	}
	if err := checkSchema(data, source); err != nil {
		return nil, err
	}
	if k := findMergeKey(doc); k != nil {
		return nil, &Error{Source: source, Line: k.Line, Msg: "YAML merge keys (<<) are not supported in a policy file: write the keys out"}
	}
	return build(doc, source)
}

// file is the schema of a policy file. Durations, dates and zones are read
// as strings here and parsed by build, which knows their lines.
type file struct {
	Organization     *Organization            `yaml:"organization"`
	GrievanceOfficer *Officer                 `yaml:"grievance_officer"`
	DefaultRegime    string                   `yaml:"default_regime"`
	RequestTypes     []string                 `yaml:"request_types"`
	Purposes         []Purpose                `yaml:"purposes"`
	Regimes          map[string]*clocks.Rules `yaml:"regimes"`
	CountryRegimes   map[string]string        `yaml:"country_regimes"`
	Timezone         string                   `yaml:"timezone"`
	Holidays         []string                 `yaml:"holidays"`
	Verification     *fileVerification        `yaml:"verification"`
	Escalation       *fileEscalation          `yaml:"escalation"`
	RateLimits       *fileRateLimits          `yaml:"rate_limits"`
}

type fileVerification struct {
	TokenTTL    string `yaml:"token_ttl"`
	ExpireAfter string `yaml:"expire_after"`
}

type fileEscalation struct {
	WarnBefore string `yaml:"warn_before"`
	Grace      string `yaml:"grace"`
}

type fileRateLimits struct {
	IP     string `yaml:"ip"`
	Email  string `yaml:"email"`
	Login  string `yaml:"login"`
	Tokens string `yaml:"tokens"`
}

// sections names each schema type as the file's author knows it, for
// "unknown key" messages (the decoder names Go types).
var sections = map[string]struct {
	name string
	typ  reflect.Type
}{
	"policy.file":             {"at the top level", reflect.TypeFor[file]()},
	"policy.Organization":     {"in organization", reflect.TypeFor[Organization]()},
	"policy.Officer":          {"in grievance_officer", reflect.TypeFor[Officer]()},
	"policy.Purpose":          {"in a purpose", reflect.TypeFor[Purpose]()},
	"clocks.Rules":            {"in a regime's overrides", reflect.TypeFor[clocks.Rules]()},
	"policy.fileVerification": {"in verification", reflect.TypeFor[fileVerification]()},
	"policy.fileEscalation":   {"in escalation", reflect.TypeFor[fileEscalation]()},
	"policy.fileRateLimits":   {"in rate_limits", reflect.TypeFor[fileRateLimits]()},
}

// checkSchema decodes strictly: unknown keys, duplicate keys and values of
// the wrong shape are errors. A second document is refused too, since the
// server would silently ignore it.
func checkSchema(data []byte, source string) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f file
	if err := dec.Decode(&f); err != nil {
		return yamlError(source, err)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == io.EOF:
		return nil
	case err != nil:
		return yamlError(source, err)
	default:
		return &Error{Source: source, Line: max(next.Line, 1), Msg: "a policy file holds one YAML document; remove the second one"}
	}
}

var (
	lineRe       = regexp.MustCompile(`(?s)^line (\d+): (.*)$`)
	unknownRe    = regexp.MustCompile(`^field (.+) not found in type (\S+)$`)
	twiceFieldRe = regexp.MustCompile(`^field (.+) already set in type \S+$`)
	twiceKeyRe   = regexp.MustCompile(`^mapping key (".*") already defined at line (\d+)$`)
	typeRe       = regexp.MustCompile("(?s)^cannot unmarshal !!(\\w+) (?:`(.*)` )?into (.+)$")
)

// yamlError turns a yaml.v3 error into an *Error in the package's shape,
// rewording the decoder's messages, which speak of Go types, for the
// author of the file. Only the first problem is reported in full: start-up
// prints one line.
func yamlError(source string, err error) error {
	var msgs []string
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msgs = te.Errors
	} else {
		msgs = []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	line, msg := 1, msgs[0]
	if m := lineRe.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
		// yaml.v3 counts lines from 0 in parser errors (only scanner errors
		// get its +1), and every parser error starts this way.
		if te == nil && strings.HasPrefix(msg, "did not find expected") {
			line++
		}
	}
	msg = reword(msg)
	switch n := len(msgs) - 1; {
	case n == 1:
		msg += " (and 1 more problem)"
	case n > 1:
		msg += fmt.Sprintf(" (and %d more problems)", n)
	}
	return &Error{Source: source, Line: line, Msg: msg}
}

func reword(msg string) string {
	if m := unknownRe.FindStringSubmatch(msg); m != nil {
		s, ok := sections[m[2]]
		if !ok {
			return fmt.Sprintf("unknown key %q", m[1])
		}
		return fmt.Sprintf("unknown key %q %s (known keys: %s)", m[1], s.name, strings.Join(yamlKeys(s.typ), ", "))
	}
	if m := twiceFieldRe.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("key %q appears twice", m[1])
	}
	if m := twiceKeyRe.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("key %s appears twice (first at line %s)", m[1], m[2])
	}
	if m := typeRe.FindStringSubmatch(msg); m != nil {
		got := "`" + truncate(m[2], 60) + "`"
		switch m[1] {
		case "seq":
			got = "a list"
		case "map":
			got = "a mapping"
		}
		return fmt.Sprintf("expected %s, got %s", expected(m[3]), got)
	}
	return msg
}

// truncate shortens a quoted value so one bad value cannot flood the log.
func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// expected describes a Go type by the YAML its value must be.
func expected(goType string) string {
	switch {
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	case goType == "int":
		return "a whole number"
	case goType == "bool":
		return "true or false"
	case goType == "string":
		return "a single value"
	default:
		return "a mapping"
	}
}

// yamlKeys lists the yaml keys of a struct type, in declaration order.
func yamlKeys(t reflect.Type) []string {
	var keys []string
	for f := range t.Fields() {
		if name, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); name != "" && name != "-" {
			keys = append(keys, name)
		}
	}
	return keys
}
