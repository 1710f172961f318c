package templates

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"path"
	"strings"
	"sync"
)

//go:embed pages/*.html
var pageFiles embed.FS

//go:embed static
var staticFiles embed.FS

// Static holds the stylesheet and other assets served under /static/.
func Static() fs.FS {
	sub, _ := fs.Sub(staticFiles, "static")
	return sub
}

var (
	pagesOnce sync.Once
	pageSets  map[string]*template.Template
	pagesErr  error
)

// pageSet builds one template set per page (the layout, the partials
// pages/_*.html, plus that page), so that every page can define "content"
// without the last one parsed winning.
func pageSet() (map[string]*template.Template, error) {
	pagesOnce.Do(func() {
		entries, err := fs.Glob(pageFiles, "pages/*.html")
		if err != nil {
			pagesErr = err
			return
		}
		partials, err := fs.Glob(pageFiles, "pages/_*.html")
		if err != nil {
			pagesErr = err
			return
		}
		pageSets = map[string]*template.Template{}
		for _, name := range entries {
			base := strings.TrimSuffix(path.Base(name), ".html")
			if base == "layout" || strings.HasPrefix(base, "_") {
				continue
			}
			files := append([]string{"pages/layout.html"}, partials...)
			t, err := template.New("layout.html").Funcs(pageFuncs).ParseFS(pageFiles, append(files, name)...)
			if err != nil {
				pagesErr = fmt.Errorf("templates: page %s: %w", base, err)
				return
			}
			pageSets[base] = t
		}
	})
	return pageSets, pagesErr
}

var pageFuncs = template.FuncMap{
	"label": typeLabel,
}

// typeLabel turns an API type name into words: opt_out → opt-out.
func typeLabel(s string) string {
	switch s {
	case "opt_out":
		return "opt-out"
	case "consent_withdrawal":
		return "consent withdrawal"
	}
	return strings.ReplaceAll(s, "_", " ")
}

// RenderPage writes a public page inside the common layout.
func RenderPage(w io.Writer, name string, data any) error {
	sets, err := pageSet()
	if err != nil {
		return err
	}
	t, ok := sets[name]
	if !ok {
		return fmt.Errorf("templates: no page %q", name)
	}
	return t.Execute(w, data)
}
