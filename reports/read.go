package reports

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/ddbbench/ddbbench/reports/schema"
)

// The schemas of results.json and of a suite's matrix.json (docs/results.md
// describes both).
var (
	//go:embed results.schema.json
	ResultsSchema []byte
	//go:embed matrix.schema.json
	MatrixSchema []byte
)

var (
	schemasOnce           sync.Once
	resultsSch, matrixSch *schema.Schema
	schemasErr            error
)

func schemas() (*schema.Schema, *schema.Schema, error) {
	schemasOnce.Do(func() {
		docs := map[string][]byte{"results.schema.json": ResultsSchema, "matrix.schema.json": MatrixSchema}
		if resultsSch, schemasErr = schema.Compile(docs, "results.schema.json"); schemasErr != nil {
			return
		}
		matrixSch, schemasErr = schema.Compile(docs, "matrix.schema.json")
	})
	return resultsSch, matrixSch, schemasErr
}

// ValidateResults checks a results.json document against its schema.
func ValidateResults(doc []byte) error {
	r, _, err := schemas()
	if err != nil {
		return err
	}
	return r.Validate(doc)
}

// ValidateMatrix checks a suite's matrix.json document against its schema.
func ValidateMatrix(doc []byte) error {
	_, m, err := schemas()
	if err != nil {
		return err
	}
	return m.Validate(doc)
}

// maxResultsSize bounds what ReadResults reads: a results file holds
// figures and bounded evidence, never a history.
const maxResultsSize = 64 << 20

// ReadResults reads a results.json document of the current format. The
// document must fit the schema; an older format is refused with its number,
// for the reader to know why.
func ReadResults(r io.Reader) (*Results, error) {
	doc, err := io.ReadAll(io.LimitReader(r, maxResultsSize+1))
	if err != nil {
		return nil, err
	}
	if len(doc) > maxResultsSize {
		return nil, fmt.Errorf("results: larger than %d MiB, which no results file is", maxResultsSize>>20)
	}
	var head struct {
		Format *json.Number `json:"format"`
	}
	if json.Unmarshal(doc, &head) == nil && head.Format != nil && head.Format.String() != fmt.Sprint(Format) {
		return nil, fmt.Errorf("results: format %s, but this ddbbench reads format %d", head.Format, Format)
	}
	if err := ValidateResults(doc); err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	dec.UseNumber() // evidence keeps its numbers exact
	var res Results
	if err := dec.Decode(&res); err != nil {
		// The schema admits a little more than Go decodes: an integer
		// written 1.0, or beyond 64 bits.
		return nil, fmt.Errorf("results: %w", err)
	}
	return &res, nil
}

// ReadResultsFile reads a results.json file.
func ReadResultsFile(path string) (*Results, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	res, err := ReadResults(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return res, nil
}
