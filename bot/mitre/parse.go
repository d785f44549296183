package mitre

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/sccbot/sccbot/bot"
)

// catalogFile is the shape of attack-enterprise.json. Fields the bot does
// not use (detection strategies, modification dates) are not decoded.
type catalogFile struct {
	AttackVersion string `json:"attack_version"`
	LicenseNotice string `json:"license_notice"`
	Counts        struct {
		Tactics       int `json:"tactics"`
		Techniques    int `json:"techniques"`
		Subtechniques int `json:"subtechniques"`
	} `json:"counts"`
	Tactics    []tacticJSON    `json:"tactics"`
	Techniques []techniqueJSON `json:"techniques"`
}

type tacticJSON struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	ShortName   string `json:"shortname"`
	URL         string `json:"url"`
	Description string `json:"description"`
}

type techniqueJSON struct {
	ID             string   `json:"id"`
	Name           string   `json:"name"`
	IsSubtechnique bool     `json:"is_subtechnique"`
	ParentID       string   `json:"parent_id"`
	ParentName     string   `json:"parent_name"`
	Tactics        []string `json:"tactics"`
	Platforms      []string `json:"platforms"`
	Description    string   `json:"description"`
	URL            string   `json:"url"`
	Mitigations    []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"mitigations"`
}

const urlPrefix = "https://attack.mitre.org/"

// parse decodes and checks a catalogue. The checks make a bad copy of the
// data fail at start-up (and in tests) rather than show a user a technique
// without a link or a sub-technique without its parent.
func parse(r io.Reader) (*Catalog, error) {
	var f catalogFile
	if err := json.NewDecoder(r).Decode(&f); err != nil {
		return nil, fmt.Errorf("decode attack catalogue: %w", err)
	}
	if f.AttackVersion == "" || f.LicenseNotice == "" {
		return nil, errors.New("attack catalogue: attack_version or license_notice is missing")
	}
	c := &Catalog{version: f.AttackVersion, notice: f.LicenseNotice}
	if err := c.addTactics(f.Tactics); err != nil {
		return nil, err
	}
	if err := c.addTechniques(f.Techniques); err != nil {
		return nil, err
	}
	subs := 0
	for _, t := range c.techniques {
		if t.ParentID != "" {
			subs++
		}
	}
	if len(c.tactics) != f.Counts.Tactics || len(c.techniques)-subs != f.Counts.Techniques || subs != f.Counts.Subtechniques {
		return nil, fmt.Errorf("attack catalogue: counts say %+v, file has %d tactics, %d techniques, %d sub-techniques",
			f.Counts, len(c.tactics), len(c.techniques)-subs, subs)
	}
	return c, nil
}

var (
	tacticID    = regexp.MustCompile(`^TA[0-9]{4}$`)
	techniqueID = regexp.MustCompile(`^T[0-9]{4}(\.[0-9]{3})?$`)
)

func (c *Catalog) addTactics(tactics []tacticJSON) error {
	c.tactics = make([]bot.Tactic, 0, len(tactics))
	c.tacticByKey = make(map[string]int, 2*len(tactics))
	for _, t := range tactics {
		if !tacticID.MatchString(t.ID) || t.Name == "" || t.ShortName == "" || !strings.HasPrefix(t.URL, urlPrefix) {
			return fmt.Errorf("attack catalogue: tactic %q: bad id, name, short name or url", t.ID)
		}
		idKey, nameKey := tacticKey(t.ID), tacticKey(t.ShortName)
		if _, dup := c.tacticByKey[idKey]; dup {
			return fmt.Errorf("attack catalogue: tactic %s: duplicate", t.ID)
		}
		if _, dup := c.tacticByKey[nameKey]; dup {
			return fmt.Errorf("attack catalogue: tactic %s: duplicate short name %q", t.ID, t.ShortName)
		}
		c.tacticByKey[idKey] = len(c.tactics)
		c.tacticByKey[nameKey] = len(c.tactics)
		c.tactics = append(c.tactics, bot.Tactic{
			ID: t.ID, Name: t.Name, ShortName: t.ShortName, URL: t.URL, Description: t.Description,
		})
	}
	return nil
}

func (c *Catalog) addTechniques(techniques []techniqueJSON) error {
	c.techniques = make([]bot.Technique, 0, len(techniques))
	c.byID = make(map[string]int, len(techniques))
	c.lowerNames = make([]string, 0, len(techniques))
	for _, tj := range techniques {
		t, err := c.technique(tj)
		if err != nil {
			return fmt.Errorf("attack catalogue: technique %q: %w", tj.ID, err)
		}
		if _, dup := c.byID[t.ID]; dup {
			return fmt.Errorf("attack catalogue: technique %s: duplicate", t.ID)
		}
		c.byID[t.ID] = len(c.techniques)
		c.techniques = append(c.techniques, t)
		c.lowerNames = append(c.lowerNames, strings.ToLower(t.Name))
	}
	// Parents are checked once all techniques are in, so that the file's
	// order does not matter.
	for _, t := range c.techniques {
		if err := c.checkParent(t); err != nil {
			return fmt.Errorf("attack catalogue: technique %s: %w", t.ID, err)
		}
	}
	return nil
}

// technique converts and checks one technique on its own.
func (c *Catalog) technique(tj techniqueJSON) (bot.Technique, error) {
	switch {
	case !techniqueID.MatchString(tj.ID):
		return bot.Technique{}, errors.New("bad id")
	case tj.Name == "":
		return bot.Technique{}, errors.New("no name")
	case !strings.HasPrefix(tj.URL, urlPrefix):
		return bot.Technique{}, fmt.Errorf("url %q is not on %s", tj.URL, urlPrefix)
	case tj.IsSubtechnique != strings.Contains(tj.ID, "."):
		return bot.Technique{}, errors.New("is_subtechnique disagrees with the id")
	}
	for _, tactic := range tj.Tactics {
		if _, ok := c.tacticByKey[tacticKey(tactic)]; !ok {
			return bot.Technique{}, fmt.Errorf("unknown tactic %q", tactic)
		}
	}
	t := bot.Technique{
		ID: tj.ID, Name: tj.Name, ParentID: tj.ParentID, ParentName: tj.ParentName,
		Tactics: tj.Tactics, Platforms: tj.Platforms, Description: tj.Description, URL: tj.URL,
	}
	if len(tj.Mitigations) > 0 {
		t.Mitigations = make([]bot.Mitigation, len(tj.Mitigations))
		for i, m := range tj.Mitigations {
			t.Mitigations[i] = bot.Mitigation{ID: m.ID, Name: m.Name}
		}
	}
	return t, nil
}

func (c *Catalog) checkParent(t bot.Technique) error {
	parentID, _, isSub := strings.Cut(t.ID, ".")
	if !isSub {
		if t.ParentID != "" || t.ParentName != "" {
			return errors.New("a technique with a parent")
		}
		return nil
	}
	i, ok := c.byID[parentID]
	switch {
	case t.ParentID != parentID || !ok:
		return fmt.Errorf("parent %q is not %s or not in the catalogue", t.ParentID, parentID)
	case c.techniques[i].Name != t.ParentName:
		return fmt.Errorf("parent name %q, but %s is %q", t.ParentName, parentID, c.techniques[i].Name)
	}
	return nil
}
