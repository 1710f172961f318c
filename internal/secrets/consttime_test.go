package secrets

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// secretName matches the names of values that hold a secret or a digest of
// one: comparing those with == would leak, through timing, how much of a
// guess was right.
var secretName = regexp.MustCompile(`(?i)(token|secret|signature|^sig$|^v1$|mac$|digest|hash|password|apikey)`)

// notSecret are comparisons of secret-named values that hold no secret,
// with the reason. The audit chain's hashes are published in every
// request's events: there is nothing to learn from how fast they compare.
var notSecret = map[string]string{
	"workflows/audit/chain.go:PrevHash":   "a public chain hash",
	"workflows/audit/chain.go:NoteDigest": "a public digest of a staff note",
	"workflows/audit/chain.go:Hash":       "a public chain hash",
}

// harmless are comparisons of secret-named things that compare no secret:
// an emptiness check, or a constant of a package (a token kind such as
// models.TokenVerify). pkgs are the names the file imports.
func harmless(e ast.Expr, pkgs map[string]bool) bool {
	switch v := e.(type) {
	case *ast.BasicLit:
		return true
	case *ast.Ident:
		return v.Name == "nil" || v.Name == "true" || v.Name == "false"
	case *ast.CallExpr:
		if id, ok := v.Fun.(*ast.Ident); ok && (id.Name == "len" || id.Name == "cap") {
			return true
		}
	case *ast.SelectorExpr:
		x, ok := v.X.(*ast.Ident)
		return ok && pkgs[x.Name]
	}
	return false
}

func exprName(e ast.Expr) string {
	switch v := e.(type) {
	case *ast.Ident:
		return v.Name
	case *ast.SelectorExpr:
		return v.Sel.Name
	case *ast.IndexExpr:
		return exprName(v.X)
	case *ast.CallExpr: // string(b), bytes of a field...
		if len(v.Args) == 1 {
			return exprName(v.Args[0])
		}
	}
	return ""
}

// TestSecretsAreComparedInConstantTime reads every Go file of the server
// (tests and examples aside) and fails on a == or != between a value named
// like a secret and anything but a constant. Secrets are compared with
// hmac.Equal or subtle.ConstantTimeCompare (secrets.Equal), or looked up by
// their hash, which an attacker cannot steer.
func TestSecretsAreComparedInConstantTime(t *testing.T) {
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	files := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "testdata", "examples", "node_modules", ".git", "data":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || strings.Contains(path, filepath.Join("internal", "testutil")) {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		files++
		rel, _ := filepath.Rel(root, path)
		pkgs := map[string]bool{}
		for _, im := range f.Imports {
			name := strings.Trim(im.Path.Value, `"`)
			name = name[strings.LastIndex(name, "/")+1:]
			if im.Name != nil {
				name = im.Name.Name
			}
			pkgs[name] = true
		}
		ast.Inspect(f, func(n ast.Node) bool {
			b, ok := n.(*ast.BinaryExpr)
			if !ok || (b.Op != token.EQL && b.Op != token.NEQ) {
				return true
			}
			if harmless(b.X, pkgs) || harmless(b.Y, pkgs) {
				return true
			}
			for _, side := range []ast.Expr{b.X, b.Y} {
				if name := exprName(side); name != "" && secretName.MatchString(name) && notSecret[filepath.ToSlash(rel)+":"+name] == "" {
					t.Errorf("%s: %s compared with %s: use hmac.Equal or secrets.Equal", fset.Position(b.Pos()), name, b.Op)
					break
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 50 {
		t.Fatalf("read only %d files: is the walk rooted at the repository?", files)
	}
}
