package policy

import (
	"strings"

	"go.yaml.in/yaml/v3"
)

// pairs yields the key and value nodes of a mapping, resolving aliases;
// nothing for null or any other kind.
func pairs(n *yaml.Node) func(yield func(k, v *yaml.Node) bool) {
	return func(yield func(k, v *yaml.Node) bool) {
		n = deref(n)
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if !yield(deref(n.Content[i]), deref(n.Content[i+1])) {
				return
			}
		}
	}
}

// elems returns the items of a sequence, resolving aliases; nil for null.
func elems(n *yaml.Node) []*yaml.Node {
	n = deref(n)
	if n.Kind != yaml.SequenceNode {
		return nil
	}
	out := make([]*yaml.Node, len(n.Content))
	for i, c := range n.Content {
		out[i] = deref(c)
	}
	return out
}

func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// str is a scalar's trimmed text, "" for null ("~" and "null" included).
func str(n *yaml.Node) string {
	if isNull(n) {
		return ""
	}
	return strings.TrimSpace(n.Value)
}

// findMergeKey returns the first "<<" merge key in the tree. The decoder
// applies merges but the node walk in build would see a literal "<<" key and
// miss the merged values, so the two readings would disagree.
func findMergeKey(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i]; k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
				return k
			}
		}
	}
	for _, c := range n.Content { // aliases are not followed: their target is walked where it is defined
		if k := findMergeKey(c); k != nil {
			return k
		}
	}
	return nil
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}
