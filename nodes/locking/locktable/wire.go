package locktable

import (
	"github.com/ddbbench/ddbbench/maelstrom"
	"github.com/ddbbench/ddbbench/nodes"
)

// DecodeAcquire reads an acquire request. A malformed one is answered
// with malformed-request, and ok is false.
func DecodeAcquire(env nodes.Env, req maelstrom.Msg) (body maelstrom.AcquireBody, ok bool) {
	b, err := maelstrom.Decode[maelstrom.AcquireBody](req)
	if err != nil || b.Lock == "" || b.Client == "" || b.TTLMS < 0 {
		env.ReplyError(req, maelstrom.MalformedRequest, "acquire needs a lock name, a client (the owner) and, optionally, ttl_ms >= 0")
		return b, false
	}
	return b, true
}

// DecodeRelease reads a release request, as DecodeAcquire does.
func DecodeRelease(env nodes.Env, req maelstrom.Msg) (body maelstrom.ReleaseBody, ok bool) {
	b, err := maelstrom.Decode[maelstrom.ReleaseBody](req)
	if err != nil || b.Lock == "" || b.Client == "" {
		env.ReplyError(req, maelstrom.MalformedRequest, "release needs a lock name, a client (the owner) and its token")
		return b, false
	}
	return b, true
}

// ReplyAcquire answers an acquire with the grant, or the refusal.
func ReplyAcquire(env nodes.Env, req maelstrom.Msg, g Grant, err *maelstrom.RPCError, grantedBy string) {
	if err != nil {
		env.ReplyError(req, err.Code, err.Text)
		return
	}
	env.Reply(req, "acquire_ok", g.Body(grantedBy))
}

// ReplyRelease answers a release.
func ReplyRelease(env nodes.Env, req maelstrom.Msg, err *maelstrom.RPCError) {
	if err != nil {
		env.ReplyError(req, err.Code, err.Text)
		return
	}
	env.Reply(req, "release_ok", nil)
}

// Relay answers req with the answer another node gave to a forwarded
// request: the same reply, or the same error, so that a definite error
// stays definite. A forward that timed out is answered with the
// indefinite timeout: the other node may have acted on it.
func Relay(env nodes.Env, req, resp maelstrom.Msg, err error) {
	if err != nil {
		code := maelstrom.ErrorCode(err)
		if code < 0 {
			code = maelstrom.Crash
		}
		text := err.Error()
		if rpcErr, ok := err.(*maelstrom.RPCError); ok {
			text = rpcErr.Text
		}
		env.ReplyError(req, code, text)
		return
	}
	switch resp.Type {
	case "acquire_ok":
		body, derr := maelstrom.Decode[maelstrom.AcquireOKBody](resp)
		if derr != nil {
			env.ReplyError(req, maelstrom.Crash, derr.Error())
			return
		}
		env.Reply(req, "acquire_ok", body)
	default:
		env.Reply(req, resp.Type, nil)
	}
}
