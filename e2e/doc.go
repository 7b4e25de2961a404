// Package e2e holds end-to-end tests: node binaries written in another
// language (Python 3, standard library only, in testdata/) run as real
// processes under the harness and the ddbbench CLI. Correct nodes must pass
// Maelstrom's workloads, with the faults Maelstrom's docs run them under;
// nodes with seeded bugs must be caught, with the evidence in the results.
package e2e
