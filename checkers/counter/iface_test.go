package counter

import "github.com/ddbbench/ddbbench/checkers"

var _ checkers.Checker = (*Checker)(nil)
