package fulfilment

import (
	"bytes"
	"encoding/json"
	"testing"
)

// compactJSON writes what json.Compact writes, for any well-formed JSON.
func FuzzCompactJSON(f *testing.F) {
	for _, seed := range []string{
		`{}`, ` { "a" : 1 , "b" : [ 1 , 2 ] } `, `{"s":"with \" quote and \\ and space  inside"}`,
		"{\n\t\"a\":\r\n\"x\\\\\",\"b\":{\"c\":[true, false, null, -1.5e3]}}", `["a\\"," b "]`,
		`{"é":"ü  ","z":"\u00e9"}`, `"plain"`, `12`, "{\"bad utf8\":\"\xff \"}",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		if !json.Valid(v) {
			return
		}
		var want bytes.Buffer
		if err := json.Compact(&want, v); err != nil {
			t.Fatal(err)
		}
		if got := compactJSON([]byte("prefix"), v); !bytes.Equal(got, append([]byte("prefix"), want.Bytes()...)) {
			t.Fatalf("compactJSON(%q) = %q, want %q", v, got[6:], want.Bytes())
		}
	})
}
