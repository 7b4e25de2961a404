package deadlock

// Watcher sees transactions begin, abort and end.
type Watcher = watcher

// NewPatientNode returns a node whose transactions never give up: they
// restart after every abort until they commit. A non-nil w watches them.
func NewPatientNode(p Policy, w Watcher) *Node {
	n := NewNode(p)
	n.maxAttempts = 1 << 30
	n.watch = w
	return n
}
