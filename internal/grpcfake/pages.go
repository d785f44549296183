package grpcfake

import (
	"encoding/base64"
	"errors"
	"hash/fnv"
	"strconv"
	"strings"
)

// ErrPageToken is the error for a page token the fake did not issue for
// this query; the fakes answer it with InvalidArgument, as Google does.
var ErrPageToken = errors.New("invalid page token")

// Fingerprint identifies a list query by its parts (parent, filter, order),
// so that a page token used with a different query is refused as the real
// APIs refuse it, instead of silently paging through the wrong results.
func Fingerprint(parts ...string) string {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return strconv.FormatUint(h.Sum64(), 36)
}

// PageToken is the opaque token of the page that starts at offset in the
// results of the query with fingerprint fp.
func PageToken(offset int, fp string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(offset) + ":" + fp))
}

// ParsePageToken returns the offset that tok starts at: 0 for no token,
// ErrPageToken for a token that is malformed or belongs to another query.
func ParsePageToken(tok, fp string) (int, error) {
	if tok == "" {
		return 0, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	off, gotFP, _ := strings.Cut(string(raw), ":")
	n, aerr := strconv.Atoi(off)
	if err != nil || aerr != nil || n < 0 || gotFP != fp {
		return 0, ErrPageToken
	}
	return n, nil
}
