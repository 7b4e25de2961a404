package elle

import (
	"github.com/ddbbench/ddbbench/checkers"
	"github.com/ddbbench/ddbbench/history"
)

// check is filled in by the analysis commits that follow; until then the
// checker admits it cannot judge.
func check(h history.History, o Options) checkers.Result {
	return checkers.Result{Valid: checkers.Unknown, Summary: "elle: analysis not yet available"}
}
