package main

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// figure is one line of the suite's table.
type figure struct {
	name   string
	value  string
	ratio  float64 // to the ceiling measured in the same run; 0 when none applies
	target string
	met    bool
	note   string
}

func (f figure) verdict() string {
	if f.target == "" {
		return ""
	}
	if f.met {
		return "(met: " + f.target + ")"
	}
	return "(MISSED: " + f.target + ")"
}

// render is the suite's report: the machine, one table, then the facts.
func (s *suite) render() string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n### Full suite on %s\n\n", s.dbName)
	fmt.Fprintf(&b, "Measured %s on %s with `go run ./cmd/rightsdesk-bench%s`. The ceiling is a bare echo handler answering a small JSON body, loaded by the same wrk in the same run; ratios are to it (throughput: figure ÷ ceiling; latency: figure ÷ ceiling's p99).\n\n",
		time.Now().UTC().Format("2006-01-02"), machine(), s.o.flagsText())
	b.WriteString("| figure | measured | ratio to ceiling | target | met |\n|---|---|---|---|---|\n")
	missed := 0
	for _, f := range s.figs {
		ratio := "—"
		if f.ratio > 0 {
			ratio = fmt.Sprintf("%.2f", f.ratio)
		}
		met := ""
		switch {
		case f.target == "":
		case f.met:
			met = "yes"
		default:
			met = "**no**"
			missed++
		}
		value := f.value
		if f.note != "" {
			value += " (" + f.note + ")"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", f.name, value, ratio, f.target, met)
	}
	b.WriteString("\n")
	for _, l := range s.facts {
		b.WriteString("- " + l + "\n")
	}
	if missed == 0 {
		b.WriteString("\nEvery target met.\n")
	} else {
		fmt.Fprintf(&b, "\n%d target(s) missed.\n", missed)
	}
	return b.String()
}

// writeSection puts text between the markers <!-- name --> and
// <!-- /name --> of path, replacing what an earlier run put there, or
// appends the section.
func writeSection(path, name, text string) error {
	begin, end := "<!-- "+name+" -->", "<!-- /"+name+" -->"
	raw, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	doc := string(raw)
	section := begin + "\n" + strings.TrimSpace(text) + "\n" + end
	if i, j := strings.Index(doc, begin), strings.Index(doc, end); i >= 0 && j > i {
		doc = doc[:i] + section + doc[j+len(end):]
	} else {
		doc = strings.TrimRight(doc, "\n") + "\n\n" + section + "\n"
	}
	return os.WriteFile(path, []byte(doc), 0o644)
}
