package templates

import (
	"embed"
	"html/template"
	"io"
	"io/fs"
	"path"
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

// publicPages are the requester's pages: the layout, the partials
// pages/_*.html, and one page each.
var publicPages = &pageSets{fsys: pageFiles, dir: "pages", shared: publicShared(), funcs: pageFuncs}

// publicShared lists the layout and the partials (files starting with _).
func publicShared() []string {
	shared := []string{"layout.html"}
	partials, _ := fs.Glob(pageFiles, "pages/_*.html") // the pattern is valid
	for _, p := range partials {
		shared = append(shared, path.Base(p))
	}
	return shared
}

var pageFuncs = template.FuncMap{
	"label": Words,
}

// RenderPage writes a public page inside the common layout.
func RenderPage(w io.Writer, name string, data any) error {
	return publicPages.render(w, name, data)
}
