package maelstrom

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Maelstrom's error codes. A definite error means the operation certainly did
// not happen; an indefinite one (timeout, crash, user codes) means it may have.
const (
	Timeout                = 0
	NodeNotFound           = 1
	NotSupported           = 10
	TemporarilyUnavailable = 11
	MalformedRequest       = 12
	Crash                  = 13
	Abort                  = 14
	KeyDoesNotExist        = 20
	KeyAlreadyExists       = 21
	PreconditionFailed     = 22
	TxnConflict            = 30

	// The lock workload's codes (see docs/locking.md). All three are
	// definite: the request changed nothing.
	//
	// LockHeld refuses an acquire: another client holds the lock (or, for a
	// voting service, the votes split and nobody got a majority).
	LockHeld = 1000
	// NotLockHolder refuses a release: the client does not hold the lock
	// with this token (its lease ran out, or it never held it).
	NotLockHolder = 1001
	// StaleToken is the fenced resource refusing an access whose fencing
	// token is lower than one it has already seen.
	StaleToken = 1002
)

type errorInfo struct {
	name     string
	definite bool
}

var errorTable = map[int]errorInfo{
	Timeout:                {"timeout", false},
	NodeNotFound:           {"node-not-found", true},
	NotSupported:           {"not-supported", true},
	TemporarilyUnavailable: {"temporarily-unavailable", true},
	MalformedRequest:       {"malformed-request", true},
	Crash:                  {"crash", false},
	Abort:                  {"abort", true},
	KeyDoesNotExist:        {"key-does-not-exist", true},
	KeyAlreadyExists:       {"key-already-exists", true},
	PreconditionFailed:     {"precondition-failed", true},
	TxnConflict:            {"txn-conflict", true},
	LockHeld:               {"lock-held", true},
	NotLockHolder:          {"not-lock-holder", true},
	StaleToken:             {"stale-token", true},
}

// IsDefinite reports whether an error with this code means the operation did
// not take place. User-defined codes are indefinite, as in Maelstrom.
func IsDefinite(code int) bool { return errorTable[code].definite }

// ErrorName is the code's Maelstrom name, or "error-N" for user codes.
func ErrorName(code int) string {
	if info, ok := errorTable[code]; ok {
		return info.name
	}
	return fmt.Sprintf("error-%d", code)
}

// RPCError is an error body returned by a node or service, or a timeout
// synthesized by the environment (code 0).
type RPCError struct {
	Code int
	Text string
}

// NewRPCError returns an RPCError with the given code and text.
func NewRPCError(code int, text string) *RPCError { return &RPCError{Code: code, Text: text} }

func (e *RPCError) Error() string {
	if e.Text == "" {
		return fmt.Sprintf("RPCError(%s, %d)", ErrorName(e.Code), e.Code)
	}
	return fmt.Sprintf("RPCError(%s, %d): %s", ErrorName(e.Code), e.Code, e.Text)
}

// Definite reports whether the error means the request did not take effect.
func (e *RPCError) Definite() bool { return IsDefinite(e.Code) }

// ErrorCodeText is the Go name of a code ("KeyDoesNotExist"), or
// "ErrorCode<N>" for user codes, as Maelstrom's Go library spells them.
func ErrorCodeText(code int) string {
	if name, ok := codeText[code]; ok {
		return name
	}
	return fmt.Sprintf("ErrorCode<%d>", code)
}

var codeText = map[int]string{
	Timeout:                "Timeout",
	NodeNotFound:           "NodeNotFound",
	NotSupported:           "NotSupported",
	TemporarilyUnavailable: "TemporarilyUnavailable",
	MalformedRequest:       "MalformedRequest",
	Crash:                  "Crash",
	Abort:                  "Abort",
	KeyDoesNotExist:        "KeyDoesNotExist",
	KeyAlreadyExists:       "KeyAlreadyExists",
	PreconditionFailed:     "PreconditionFailed",
	TxnConflict:            "TxnConflict",
	LockHeld:               "LockHeld",
	NotLockHolder:          "NotLockHolder",
	StaleToken:             "StaleToken",
}

// MarshalJSON encodes e as a complete error body, so that a handler can pass
// an *RPCError to Node.Reply as Maelstrom's Go library allows. Unlike that
// library it always writes "code": code 0 (timeout) is a real code.
func (e *RPCError) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Type string `json:"type"`
		ErrorBody
	}{"error", ErrorBody{Code: e.Code, Text: e.Text}})
}

// ErrorCode returns the Maelstrom code of err, or -1 when err is not an
// *RPCError (the same contract as Maelstrom's Go library).
func ErrorCode(err error) int {
	var rpcErr *RPCError
	if errors.As(err, &rpcErr) {
		return rpcErr.Code
	}
	return -1
}

// ErrorBody is the body of a message of type "error".
type ErrorBody struct {
	Code int    `json:"code"`
	Text string `json:"text,omitempty"`
}
