package suite

import (
	"os"
	"strings"
	"testing"

	"github.com/ddbbench/ddbbench/nodes/catalog"
)

// The expected-verdict table in docs/transactions.md is generated from the
// transactional strategies' declarations; it must not drift from the code.
func TestTransactionsDocIsCurrent(t *testing.T) {
	group, err := catalog.LookupGroup("transactions")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../docs/transactions.md")
	if err != nil {
		t.Fatal(err)
	}
	want := ExpectedMarkdown(catalog.InGroup(group.Name), group.Nemeses)
	if !strings.Contains(string(doc), want) {
		t.Fatalf("docs/transactions.md's expected table is out of date; regenerate it from `ddbbench suite transactions` (expected.md in its results). It should contain:\n%s", want)
	}
}
