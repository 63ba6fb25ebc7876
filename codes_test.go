package mailcheck_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// codeConst is one finding-code constant declared in the module.
type codeConst struct {
	pkg, name, value string
}

// declaredCodes reads every constant of type Code (finding.Code) in the module's
// non-test sources.
func declaredCodes(t *testing.T) []codeConst {
	t.Helper()
	var out []codeConst
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != "." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				if !isCodeType(vs.Type) || len(vs.Values) != len(vs.Names) {
					continue
				}
				for i, n := range vs.Names {
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok {
						continue
					}
					v, err := strconv.Unquote(lit.Value)
					require.NoError(t, err)
					out = append(out, codeConst{pkg: f.Name.Name, name: n.Name, value: v})
				}
			}
		}
		return nil
	})
	require.NoError(t, err)
	return out
}

func isCodeType(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name == "Code"
	case *ast.SelectorExpr:
		return e.Sel.Name == "Code"
	}
	return false
}

// readmeCodes are the codes in the first column of the README's code tables.
func readmeCodes(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("README.md")
	require.NoError(t, err)
	re := regexp.MustCompile("(?m)^\\| `([a-z0-9]+\\.[a-z0-9-]+)` \\|")
	var out []string
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		out = append(out, m[1])
	}
	return out
}

// scorerCodes are the codes score*.go names, as package.Constant.
func scorerCodes(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("score*.go")
	require.NoError(t, err)
	var out []string
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		require.NoError(t, err)
		ast.Inspect(f, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok && strings.HasPrefix(sel.Sel.Name, "Code") && sel.Sel.Name != "Code" {
				if id, ok := sel.X.(*ast.Ident); ok {
					out = append(out, id.Name+"."+sel.Sel.Name)
				}
			}
			return true
		})
	}
	return out
}

// Codes are API: the README documents exactly the codes the packages declare, each
// declared once, and the scorer names only declared codes.
func TestFindingCodesAreDeclaredDocumentedAndKnownToTheScorer(t *testing.T) {
	declared := declaredCodes(t)
	require.NotEmpty(t, declared)
	var values []string
	byRef := map[string]bool{}
	for _, c := range declared {
		assert.NotContains(t, values, c.value, "%s is declared twice", c.value)
		assert.Regexp(t, `^[a-z0-9]+\.[a-z0-9]+(-[a-z0-9]+)*$`, c.value, "codes are area.kebab-case")
		values = append(values, c.value)
		byRef[c.pkg+"."+c.name] = true
	}
	readme := readmeCodes(t)
	slices.Sort(values)
	slices.Sort(readme)
	readme = slices.Compact(readme)
	assert.Equal(t, values, readme, "the README's code tables and the declared codes differ")
	for _, ref := range scorerCodes(t) {
		assert.True(t, byRef[ref], "the scorer names %s, which no package declares", ref)
	}
}
