package observe

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"math/rand/v2"
	"sync/atomic"
)

type requestIDKey struct{}

// WithRequestID returns ctx carrying the request id, for the log handler
// (and anything else) to find without an echo.Context at hand.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID is the request id in ctx, or "" outside a request.
func RequestID(ctx context.Context) string {
	if ctx == nil {
		return ""
	}
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// SafeRequestID says whether a client's X-Request-Id may be kept: short,
// of URL-safe characters (nothing to break a log line or a header), and
// nothing Scrub would hide, so that the id in the logs is always the id in
// the response.
func SafeRequestID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		switch c := id[i]; {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '_', c == '-':
		default:
			return false
		}
	}
	return Scrub(id) == id
}

// RequestIDs generates request ids: 32 characters of [A-Za-z0-9] but
// 'y' (so that no id holds "eyJ", the start of a JWT, and every id passes
// SafeRequestID), cheap
// enough to make one per request without reading the kernel's random
// source each time. An id is a random per-process prefix (ids of two
// processes do not collide), a per-process counter put through a keyed
// bijection (ids of one process never repeat), and about 59 bits of
// the runtime's ChaCha8 generator (an id does not tell the next one). It is a
// correlation id, not a credential.
type RequestIDs struct {
	prefix [11]byte
	key    [2]uint64
	n      atomic.Uint64
}

// NewRequestIDs seeds a generator from crypto/rand.
func NewRequestIDs() *RequestIDs {
	var seed [24]byte
	if _, err := crand.Read(seed[:]); err != nil {
		panic("observe: crypto/rand: " + err.Error())
	}
	g := &RequestIDs{key: [2]uint64{binary.LittleEndian.Uint64(seed[8:]), binary.LittleEndian.Uint64(seed[16:])}}
	base61(g.prefix[:], binary.LittleEndian.Uint64(seed[:]))
	return g
}

// Next is a new id.
func (g *RequestIDs) Next() string {
	var b [32]byte
	copy(b[:11], g.prefix[:])
	base61(b[11:22], mix(mix(g.n.Add(1)^g.key[0])^g.key[1]))
	base61(b[22:], rand.Uint64())
	return string(b[:])
}

// idChars has no 'y': see RequestIDs.
const idChars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxz"

// base61 writes v's last len(b) base-61 digits into b (11 digits hold
// any uint64).
func base61(b []byte, v uint64) {
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = idChars[v%uint64(len(idChars))]
		v /= uint64(len(idChars))
	}
}

// mix is splitmix64's finaliser, a bijection of uint64.
func mix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
