package templates

import (
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
)

// pageSets holds one template set per page of a folder: the shared files
// (the layout and partials) plus that page, so that every page can define
// "content" without the last one parsed winning. The public pages and the
// console each have one. Sets are parsed once, on first use.
type pageSets struct {
	fsys   fs.FS
	dir    string
	shared []string // file names in dir parsed into every page, layout first
	funcs  template.FuncMap

	once sync.Once
	sets map[string]*template.Template
	err  error
}

func (p *pageSets) load() (map[string]*template.Template, error) {
	p.once.Do(func() {
		entries, err := fs.Glob(p.fsys, p.dir+"/*.html")
		if err != nil {
			p.err = err
			return
		}
		shared := make([]string, len(p.shared))
		for i, f := range p.shared {
			shared[i] = p.dir + "/" + f
		}
		p.sets = map[string]*template.Template{}
		for _, name := range entries {
			if slices.Contains(shared, name) {
				continue
			}
			base := strings.TrimSuffix(path.Base(name), ".html")
			t, err := template.New(p.shared[0]).Funcs(p.funcs).ParseFS(p.fsys, append(slices.Clone(shared), name)...)
			if err != nil {
				p.err = fmt.Errorf("templates: %s page %s: %w", p.dir, base, err)
				return
			}
			p.sets[base] = t
		}
	})
	return p.sets, p.err
}

// names lists the pages, sorted.
func (p *pageSets) names() ([]string, error) {
	sets, err := p.load()
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(sets))
	for name := range sets {
		out = append(out, name)
	}
	slices.Sort(out)
	return out, nil
}

// render writes page name inside the layout.
func (p *pageSets) render(w io.Writer, name string, data any) error {
	sets, err := p.load()
	if err != nil {
		return err
	}
	t, ok := sets[name]
	if !ok {
		return fmt.Errorf("templates: no %s page %q", p.dir, name)
	}
	return t.Execute(w, data)
}
