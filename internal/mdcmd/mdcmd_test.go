package mdcmd

import (
	"reflect"
	"testing"
)

const doc = "# Title\n\n```sh\ngo install ./cmd/x   # build it\n\nx run --a 1\n```\n\nprints:\n\n```text\nOK  1\n  two\n```\n\n" +
	"## Other\n\n```text\nnot an output\n```\n\n```sh\nx run --bad   # exits 254\n```\n\n## Table\n\n" +
	"| what | command |\n|---|---|\n| speed | `go test -bench X ./p/` |\n| prose | no code |\n\n" +
	"| what | figure |\n|---|---|\n| a | `not a command` |\n\n```go\nfunc main() {}\n```\n\n## Late\n\n```text\nafter a heading\n```\n"

func TestParse(t *testing.T) {
	got := Parse(doc)
	want := []Command{
		{Line: 4, Text: "go install ./cmd/x", Comment: "build it"},
		{Line: 6, Text: "x run --a 1", Output: "OK  1\n  two\n", OutputLine: 12},
		{Line: 23, Text: "x run --bad", Comment: "exits 254"},
		{Line: 30, Text: "go test -bench X ./p/"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	if got[2].ExitCode() != 254 || got[0].ExitCode() != 0 {
		t.Fatalf("exit codes %d %d", got[2].ExitCode(), got[0].ExitCode())
	}
}
