package slackfake

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Block Kit limits Slack enforces (docs.slack.dev/reference/block-kit).
// Lengths are counted in characters (runes).
const (
	maxMessageBlocks  = 50
	maxModalBlocks    = 100
	maxSectionText    = 3000
	maxFields         = 10
	maxFieldText      = 2000
	maxHeaderText     = 150
	maxContextElems   = 10
	maxActionsElems   = 25
	maxButtonText     = 75
	maxActionID       = 255
	maxBlockID        = 255
	maxButtonValue    = 2000
	maxURL            = 3000
	maxAltText        = 2000
	maxMarkdownText   = 12000
	maxSelectOptions  = 100
	maxOverflowOption = 5
	maxInputLabel     = 2000
)

type surface int

const (
	surfaceMessage surface = iota
	surfaceModal
)

// checkBlocks validates a blocks array for a surface. It returns the blocks
// to store (nil for an empty array) or the error to answer, with Slack's
// human-readable reasons.
func checkBlocks(raw []byte, sf surface) (json.RawMessage, *apiResult) {
	var blocks []any
	if err := json.Unmarshal(raw, &blocks); err != nil {
		res := failErrors("invalid_blocks_format", []string{"blocks must be a JSON array of objects: " + err.Error()})
		return nil, &res
	}
	v := newValidator()
	v.blocks("/blocks", blocks, sf)
	if len(v.errs) > 0 {
		res := failErrors("invalid_blocks", v.errs)
		return nil, &res
	}
	if len(blocks) == 0 {
		return nil, nil
	}
	return json.RawMessage(raw), nil
}

// validator collects every violation in one message or view, like Slack,
// which lists them all in "errors".
type validator struct {
	errs      []string
	blockIDs  map[string]bool
	actionIDs map[string]bool
	inputs    int
}

func newValidator() *validator {
	return &validator{blockIDs: map[string]bool{}, actionIDs: map[string]bool{}}
}

// fail records a violation in Slack's wording: "<reason> [json-pointer:<ptr>]".
func (v *validator) fail(ptr, format string, args ...any) {
	v.errs = append(v.errs, fmt.Sprintf(format, args...)+" [json-pointer:"+ptr+"]")
}

func (v *validator) blocks(ptr string, blocks []any, sf surface) {
	limit := maxMessageBlocks
	if sf == surfaceModal {
		limit = maxModalBlocks
	}
	if len(blocks) > limit {
		v.fail(ptr, "no more than %d items allowed", limit)
	}
	for i, b := range blocks {
		v.block(fmt.Sprintf("%s/%d", ptr, i), b)
	}
}

func (v *validator) block(ptr string, raw any) {
	b, ok := raw.(map[string]any)
	if !ok {
		v.fail(ptr, "must provide an object")
		return
	}
	v.uniqueID(ptr+"/block_id", b["block_id"], maxBlockID, v.blockIDs, "block_id")
	switch typ, _ := b["type"].(string); typ {
	case "section":
		v.section(ptr, b)
	case "header":
		v.text(ptr+"/text", b["text"], maxHeaderText, true)
	case "context":
		v.elements(ptr+"/elements", b["elements"], maxContextElems, v.contextElement)
	case "actions":
		v.elements(ptr+"/elements", b["elements"], maxActionsElems, v.element)
	case "image":
		v.image(ptr, b)
	case "input":
		v.input(ptr, b)
	case "markdown":
		v.str(ptr+"/text", b["text"], 1, maxMarkdownText)
	case "divider", "rich_text", "video", "file", "table", "call", "context_actions":
		// Accepted; sccbot does not send their inner structure.
	case "":
		v.fail(ptr+"/type", "missing required field: type")
	default:
		v.fail(ptr+"/type", "unsupported type: %s", typ)
	}
}

func (v *validator) section(ptr string, b map[string]any) {
	text, hasText := b["text"]
	fields, hasFields := b["fields"]
	if !hasText && !hasFields {
		v.fail(ptr, "must provide either text or fields")
	}
	if hasText {
		v.text(ptr+"/text", text, maxSectionText, false)
	}
	if hasFields {
		list, ok := fields.([]any)
		if !ok || len(list) == 0 {
			v.fail(ptr+"/fields", "must provide a non-empty array")
		}
		if len(list) > maxFields {
			v.fail(ptr+"/fields", "no more than %d items allowed", maxFields)
		}
		for i, f := range list {
			v.text(fmt.Sprintf("%s/fields/%d", ptr, i), f, maxFieldText, false)
		}
	}
	if acc, ok := b["accessory"]; ok {
		v.element(ptr+"/accessory", acc)
	}
}

// elements checks a block's element list: present, not empty, not too long.
func (v *validator) elements(ptr string, raw any, limit int, check func(string, any)) {
	list, ok := raw.([]any)
	if !ok || len(list) == 0 {
		v.fail(ptr, "must provide a non-empty array")
		return
	}
	if len(list) > limit {
		v.fail(ptr, "no more than %d items allowed", limit)
	}
	for i, e := range list {
		check(fmt.Sprintf("%s/%d", ptr, i), e)
	}
}

func (v *validator) contextElement(ptr string, raw any) {
	if e, ok := raw.(map[string]any); ok && e["type"] == "image" {
		v.imageElement(ptr, e)
		return
	}
	v.text(ptr, raw, maxSectionText, false)
}

// element checks an interactive element (or an image accessory).
func (v *validator) element(ptr string, raw any) {
	e, ok := raw.(map[string]any)
	if !ok {
		v.fail(ptr, "must provide an object")
		return
	}
	typ, _ := e["type"].(string)
	if typ == "image" {
		v.imageElement(ptr, e)
		return
	}
	v.uniqueID(ptr+"/action_id", e["action_id"], maxActionID, v.actionIDs, "action_id")
	switch {
	case typ == "button":
		v.button(ptr, e)
	case strings.HasSuffix(typ, "static_select"):
		v.options(ptr, e, maxSelectOptions)
	case typ == "overflow":
		v.options(ptr, e, maxOverflowOption)
	case typ == "":
		v.fail(ptr+"/type", "missing required field: type")
	}
}

func (v *validator) button(ptr string, e map[string]any) {
	v.text(ptr+"/text", e["text"], maxButtonText, true)
	v.str(ptr+"/value", e["value"], 0, maxButtonValue)
	v.str(ptr+"/url", e["url"], 0, maxURL)
	if style, ok := e["style"]; ok && style != "primary" && style != "danger" {
		v.fail(ptr+"/style", "must be one of primary, danger")
	}
}

func (v *validator) options(ptr string, e map[string]any, limit int) {
	if list, ok := e["options"].([]any); ok && len(list) > limit {
		v.fail(ptr+"/options", "no more than %d items allowed", limit)
	}
}

func (v *validator) image(ptr string, b map[string]any) {
	v.imageElement(ptr, b)
	if title, ok := b["title"]; ok {
		v.text(ptr+"/title", title, maxAltText, true)
	}
}

func (v *validator) imageElement(ptr string, e map[string]any) {
	if _, ok := e["slack_file"]; !ok {
		v.str(ptr+"/image_url", e["image_url"], 1, maxURL)
	}
	v.str(ptr+"/alt_text", e["alt_text"], 1, maxAltText)
}

func (v *validator) input(ptr string, b map[string]any) {
	v.inputs++
	v.text(ptr+"/label", b["label"], maxInputLabel, true)
	if hint, ok := b["hint"]; ok {
		v.text(ptr+"/hint", hint, maxInputLabel, true)
	}
	if el, ok := b["element"]; ok {
		v.element(ptr+"/element", el)
	} else {
		v.fail(ptr+"/element", "missing required field: element")
	}
}

// text checks a composition text object.
func (v *validator) text(ptr string, raw any, limit int, plainOnly bool) {
	t, ok := raw.(map[string]any)
	if !ok {
		v.fail(ptr, "must provide an object")
		return
	}
	switch typ := t["type"]; {
	case typ == "plain_text":
	case typ == "mrkdwn" && !plainOnly:
	case plainOnly:
		v.fail(ptr+"/type", "must be plain_text")
	default:
		v.fail(ptr+"/type", "must be one of plain_text, mrkdwn")
	}
	v.str(ptr+"/text", t["text"], 1, limit)
}

// str checks an optional (minLen 0) or required string's length.
func (v *validator) str(ptr string, raw any, minLen, maxLen int) {
	if raw == nil && minLen == 0 {
		return
	}
	s, ok := raw.(string)
	if !ok {
		v.fail(ptr, "must be a string")
		return
	}
	switch n := utf8.RuneCountInString(s); {
	case n < minLen:
		v.fail(ptr, "must be more than %d characters", minLen-1)
	case n > maxLen:
		v.fail(ptr, "must be less than %d characters", maxLen+1)
	}
}

// uniqueID checks an optional block_id or action_id: its length, and that
// no other block or element of the same message or view uses it.
func (v *validator) uniqueID(ptr string, raw any, limit int, seen map[string]bool, what string) {
	v.str(ptr, raw, 0, limit)
	id, _ := raw.(string)
	if id == "" {
		return
	}
	if seen[id] {
		v.fail(ptr, "duplicate %s %q", what, id)
	}
	seen[id] = true
}
