package quorum

import "github.com/ddbbench/ddbbench/nodes"

// WithoutWriteBack is quorum with the read's write-back phase removed: a
// regular, not atomic, register. Tests use it to show the harness catches
// the new/old inversion the write-back prevents.
func WithoutWriteBack() nodes.Strategy {
	s := Strategy()
	s.Name = "quorum-no-write-back"
	s.New = func() nodes.Node { return &Node{noWriteBack: true} }
	return s
}
