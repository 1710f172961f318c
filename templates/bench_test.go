package templates

import "testing"

// BenchmarkRenderEmail renders the heaviest email (a completion with its
// systems and package link) and a verification email, text and HTML parts.
func BenchmarkRenderEmail(b *testing.B) {
	d := realistic()
	for _, name := range []string{"completed", "verify"} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := RenderEmail(name, d); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
