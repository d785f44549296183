package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fsouza/fake-gcs-server/fakestorage"

	"github.com/sccbot/sccbot/bot/scc/sccfake"
	"github.com/sccbot/sccbot/bot/slack/slackfake"
	"github.com/sccbot/sccbot/playbooks"
	"github.com/sccbot/sccbot/playbooks/gke/gkefake"
)

// The evidence policy: collection is requested by a responder and
// approved by a second person; Delete needs evidence first.
const evidencePolicy = `
responses:
  actions:
    collect_evidence: {requesters: [S0RESPOND], approvers: [S0LEADS], two_person: true%s}
    delete_pod: {requesters: [S0RESPOND], approvers: [S0LEADS], two_person: true, require_evidence: true}
    isolate_pod: {requesters: [S0RESPOND], approvers: [S0LEADS], two_person: true}
evidence:
  bucket: ` + demoEvidenceBucket + `
`

func newEvidenceHarness(t *testing.T, dryRun bool) *respondHarness {
	t.Helper()
	h := newHarness(t)
	h.fakes.slack.SetUserGroup("S0RESPOND", alice)
	h.fakes.slack.SetUserGroup("S0LEADS", alice, bob)
	h.fakes.slack.AddUser(bob, "bob@example.com", "bob")
	extra := ""
	if dryRun {
		extra = ", dry_run: true"
	}
	db := filepath.Join(t.TempDir(), "sccbot.db")
	h.start(testConfig(t, db, strings.Replace(evidencePolicy, "%s", extra, 1)))
	return &respondHarness{harness: h, db: db}
}

// collect presses Collect evidence on the card as alice, has bob approve,
// and returns the outcome's reply in the thread.
func (h *respondHarness) collect(card slackfake.Message) slackfake.Message {
	h.t.Helper()
	n := len(h.thread(card))
	h.press(card, "finding.evidence", alice)
	req := h.replyAfter(card, n, "keep the evidence before containment")
	wantAll(h.t, "evidence request", texts(h.t, req), "requested by <@U0ALICE>", "Approval by <!subteam^S0LEADS>",
		"gs://"+demoEvidenceBucket+"/evidence/")
	h.press(req, "approval.approve", bob)
	h.edited(req, "decided by <@U0BOB>")
	return h.replyAfter(card, n, "Evidence kept")
}

// replyAfter waits for a reply in the card's thread, after its first n,
// whose text (edits included) has want.
func (h *respondHarness) replyAfter(card slackfake.Message, n int, want string) slackfake.Message {
	h.t.Helper()
	r, err := h.fakes.slack.WaitReply(testContext(h.t), card.Channel, card.TS, func(i int, m slackfake.Message) bool {
		return i >= n && strings.Contains(texts(h.t, m), want)
	})
	if err != nil {
		h.t.Fatalf("no reply with %q: %v\n%s", want, err, h.fakes.slack.Transcript(card.Channel))
	}
	return r
}

func (h *respondHarness) thread(card slackfake.Message) []slackfake.Message {
	replies, _ := h.fakes.slack.WaitThread(testContext(h.t), card.Channel, card.TS, 0)
	return replies
}

// bucket lists the objects under prefix, by name, with their content.
func bucket(t *testing.T, gcs *fakestorage.Server, prefix string) map[string][]byte {
	t.Helper()
	list, err := gcs.ListObjectsWithOptionsPaginated(demoEvidenceBucket, fakestorage.ListOptions{Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	attrs := list.Objects
	out := map[string][]byte{}
	for _, a := range attrs {
		o, err := gcs.GetObject(demoEvidenceBucket, a.Name)
		if err != nil {
			t.Fatal(err)
		}
		out[a.Name] = o.Content
	}
	return out
}

type manifestView struct {
	Schema  string
	Objects []struct {
		Name   string
		Size   int64
		SHA256 string
	}
	Binary struct {
		SHA256, Verdict, Object string
	}
	Request struct {
		RequestedBy string `json:"requested_by"`
		ApprovedBy  string `json:"approved_by"`
	}
	Workload struct {
		PodUID      string `json:"pod_uid"`
		Pod         string
		Node        string
		ImageDigest string `json:"image_digest"`
	}
}

// collection returns the one collection's objects under the finding's
// prefix and its manifest, checking every hash the manifest states.
func collection(t *testing.T, objs map[string][]byte) (string, manifestView) {
	t.Helper()
	var man string
	for name := range objs {
		if path.Base(name) == playbooks.ManifestName {
			if man != "" {
				t.Fatalf("more than one manifest: %s and %s", man, name)
			}
			man = name
		}
	}
	if man == "" {
		t.Fatalf("no manifest among %d objects", len(objs))
	}
	var m manifestView
	if err := json.Unmarshal(objs[man], &m); err != nil {
		t.Fatal(err)
	}
	for _, o := range m.Objects {
		b, ok := objs[o.Name]
		sum := sha256.Sum256(b)
		if !ok || int64(len(b)) != o.Size || hex.EncodeToString(sum[:]) != o.SHA256 {
			t.Errorf("manifest: %s %d bytes %s; bucket: present %v, %d bytes %x", o.Name, o.Size, o.SHA256, ok, len(b), sum)
		}
	}
	if len(m.Objects) != len(objs)-1 {
		t.Errorf("manifest lists %d objects, the prefix holds %d besides it", len(m.Objects), len(objs)-1)
	}
	return strings.TrimSuffix(man, playbooks.ManifestName), m
}

func shortID(t *testing.T, key string) string {
	return path.Base(findingName(t, key))
}

// For each GKE seed: the bucket holds exactly the bytes the container
// served, the manifest's hashes are right, the thread says ✅ with the
// gs:// links and VirusTotal, and the audit log has every step.
func TestE2ECollectEvidenceEachGKESeed(t *testing.T) {
	t.Parallel()
	h := newEvidenceHarness(t, false)
	for _, c := range []struct {
		seed   string
		binary []byte
		pod    string
	}{
		{sccfake.SeedGKECompiler, gkefake.SeedBinary(), gkefake.SeedPod},
		{sccfake.SeedGKECompilerV1, gkefake.SeedV1Binary(), gkefake.SeedV1Pod},
	} {
		t.Run(c.seed, func(t *testing.T) {
			card := h.nthCard(c.seed, "#secops-gke")
			if !strings.Contains(string(card.Blocks), `"finding.evidence"`) {
				t.Fatalf("the card has no Collect evidence button:\n%s", card.Blocks)
			}
			out := h.collect(card)
			sum := sha256.Sum256(c.binary)
			sha := hex.EncodeToString(sum[:])
			wantAll(t, "outcome", texts(t, out), "SHA-256 ✅ matches the finding",
				"gs://"+demoEvidenceBucket+"/evidence/"+shortID(t, c.seed)+"/", "manifest.json",
				"https://www.virustotal.com/gui/file/"+sha)
			prefix, m := collection(t, bucket(t, h.fakes.gcs, "evidence/"+shortID(t, c.seed)+"/"))
			objs := bucket(t, h.fakes.gcs, prefix)
			if !bytes.Equal(objs[prefix+"binary"], c.binary) {
				t.Errorf("bucket's binary: %d bytes, want the container's %d", len(objs[prefix+"binary"]), len(c.binary))
			}
			if m.Binary.Verdict != "match" || m.Binary.SHA256 != sha || m.Request.RequestedBy != alice ||
				m.Request.ApprovedBy != bob || m.Workload.Pod != c.pod || m.Workload.PodUID == "" ||
				m.Workload.ImageDigest != gkefake.SeedImageID {
				t.Errorf("manifest = %+v", m)
			}
			for _, want := range []string{"pod.json", "container.log", "finding.json"} {
				if _, ok := objs[prefix+want]; !ok {
					t.Errorf("no %s in %s", want, prefix)
				}
			}
			wantAudit(t, h.audit(findingName(t, c.seed)), "requested U0ALICE collect_evidence",
				"approved U0BOB collect_evidence", "started sccbot collect_evidence", "succeeded sccbot collect_evidence")
		})
	}
}

// Delete is refused, with a Collect evidence button, until evidence
// exists; a binary changed since detection says ❌; a second collection
// gets its own prefix and leaves the first as it was; then Delete runs.
func TestE2EEvidenceBeforeDelete(t *testing.T) {
	t.Parallel()
	h := newEvidenceHarness(t, false)
	card := h.seedCard(sccfake.SeedGKECompiler, "#secops-gke")
	name := findingName(t, sccfake.SeedGKECompiler)

	h.containAndRefuse(card)
	changed := append([]byte("changed after detection "), gkefake.SeedBinary()...)
	h.fakes.kube.SetFile(gkefake.SeedNamespace, gkefake.SeedPod, gkefake.SeedContainer, gkefake.SeedBinaryPath,
		gkefake.File{Data: changed})
	out := h.collect(card)
	wantAll(t, "outcome", texts(t, out), "❌ DOES NOT MATCH the finding", "the file changed since detection")
	first := bucket(t, h.fakes.gcs, "evidence/"+shortID(t, sccfake.SeedGKECompiler)+"/")
	if p, m := collection(t, first); m.Binary.Verdict != "mismatch" || !bytes.Equal(first[p+"binary"], changed) {
		t.Errorf("first collection: verdict %s, binary %d bytes", m.Binary.Verdict, len(first[p+"binary"]))
	}

	h.fakes.kube.SetFile(gkefake.SeedNamespace, gkefake.SeedPod, gkefake.SeedContainer, gkefake.SeedBinaryPath,
		gkefake.File{Data: gkefake.SeedBinary()})
	h.collect(card)
	both := bucket(t, h.fakes.gcs, "evidence/"+shortID(t, sccfake.SeedGKECompiler)+"/")
	for k, v := range first {
		if !bytes.Equal(both[k], v) {
			t.Errorf("%s changed after the second collection", k)
		}
	}
	if len(both) != 2*len(first) {
		t.Errorf("after two collections the bucket holds %d objects, want %d", len(both), 2*len(first))
	}

	req := h.contain(card, "delete_pod", alice, "evidence is kept")
	h.press(req, "approval.approve", bob)
	h.edited(req, "✅")
	if _, ok := h.fakes.kube.Pod(gkefake.SeedNamespace, gkefake.SeedPod); ok {
		t.Error("the pod was not deleted after evidence was collected")
	}
	h.waitAudit(name, "succeeded sccbot delete_pod", 1)
	wantAudit(t, h.audit(name), "refused U0ALICE delete_pod",
		"requested U0ALICE collect_evidence", "approved U0BOB collect_evidence", "started sccbot collect_evidence",
		"succeeded sccbot collect_evidence",
		"requested U0ALICE collect_evidence", "approved U0BOB collect_evidence", "started sccbot collect_evidence",
		"succeeded sccbot collect_evidence",
		"requested U0ALICE delete_pod", "approved U0BOB delete_pod", "started sccbot delete_pod", "succeeded sccbot delete_pod")
}

// containAndRefuse asks for Delete before any evidence: the answer says
// why and offers Collect evidence; nothing reaches the cluster.
func (h *respondHarness) containAndRefuse(card slackfake.Message) {
	h.t.Helper()
	ctx := testContext(h.t)
	n := len(h.fakes.slack.Views())
	h.press(card, "finding.contain", alice)
	views, err := h.fakes.slack.WaitViews(ctx, n+1)
	if err != nil {
		h.t.Fatal(err)
	}
	sub := h.fakes.slack.ViewSubmissionPayload(slackfake.ViewSubmission{UserID: alice, ViewID: views[n].ID,
		Values: map[string]map[string]string{"action": {"action": "delete_pod"}, "reason": {"reason": "get rid of it"}}})
	if _, err := h.fakes.slack.SendAndWaitAck(ctx, "interactive", sub); err != nil {
		h.t.Fatal(err)
	}
	eph, err := h.fakes.slack.WaitEphemerals(ctx, card.Channel, alice, 1)
	if err != nil {
		h.t.Fatal(err)
	}
	wantAll(h.t, "refusal", eph[0].Text, "requires evidence before this action")
	if !strings.Contains(string(eph[0].Blocks), `"finding.evidence"`) {
		h.t.Errorf("the refusal offers no Collect evidence button: %s", eph[0].Blocks)
	}
	for _, c := range h.fakes.kube.Calls() {
		if c.Method == "DELETE" {
			h.t.Errorf("delete reached the cluster before evidence: %s", c.Path)
		}
	}
}

// A finding whose binary path is hostile: quotes and $() reach the
// container as one argument; ".." is refused and nothing escapes the
// finding's prefix.
func TestE2EEvidenceHostilePaths(t *testing.T) {
	t.Parallel()
	h := newEvidenceHarness(t, false)
	raw := seed(t, sccfake.SeedGKECompiler)
	hostile := `/tmp/.x/a'b" $(id);rm -rf ~`
	quoted, _ := json.Marshal(hostile)
	raw = bytes.Replace(raw, []byte(`"path": "/usr/bin/gcc"`), []byte(`"path": `+string(quoted)), 1)
	h.fakes.kube.SetFile(gkefake.SeedNamespace, gkefake.SeedPod, gkefake.SeedContainer, hostile,
		gkefake.File{Data: gkefake.SeedBinary()})
	if err := h.fakes.scc.AddNotification(raw); err != nil {
		t.Fatal(err)
	}
	h.fakes.publish(raw)
	card := h.waitCards("#secops-gke", 1)[0]
	h.collect(card)
	var argv []string
	for _, x := range h.fakes.kube.Execs() {
		argv = x.Command
	}
	if len(argv) != 3 || argv[2] != hostile {
		t.Errorf("exec argv = %q, want [cat -- %q]", argv, hostile)
	}
	for name := range bucket(t, h.fakes.gcs, "") {
		if !strings.HasPrefix(name, "evidence/"+shortID(t, sccfake.SeedGKECompiler)+"/") {
			t.Errorf("object %q outside the finding's prefix", name)
		}
	}
}

// A dry run reads and hashes, writes nothing, and says so.
func TestE2EEvidenceDryRun(t *testing.T) {
	t.Parallel()
	h := newEvidenceHarness(t, true)
	card := h.seedCard(sccfake.SeedGKECompiler, "#secops-gke")
	out := h.collect(card)
	wantAll(t, "dry run", texts(t, out), "Dry run", "✅ matches the finding", "nothing was written")
	if objs := bucket(t, h.fakes.gcs, ""); len(objs) != 0 {
		t.Errorf("a dry run wrote %d objects", len(objs))
	}
}

// nthCard publishes a seed and returns its card: the channel's next one.
func (h *respondHarness) nthCard(key, channel string) slackfake.Message {
	h.t.Helper()
	n := len(h.cards(channel))
	raw := seed(h.t, key)
	if err := h.fakes.scc.AddNotification(raw); err != nil {
		h.t.Fatal(err)
	}
	h.fakes.publish(raw)
	return h.waitCards(channel, n+1)[n]
}

// Cloud Run has no exec: Collect evidence keeps the revision's spec and
// image digest, the service, the finding and its logs.
func TestE2ECollectEvidenceCloudRun(t *testing.T) {
	t.Parallel()
	h := newEvidenceHarness(t, false)
	card := h.seedCard(sccfake.SeedCloudRunCompiler, "#secops")
	out := h.collect(card)
	wantAll(t, "outcome", texts(t, out), "the revision's spec and image digest", "Cloud Run has no exec")
	prefix, m := collection(t, bucket(t, h.fakes.gcs, "evidence/"+shortID(t, sccfake.SeedCloudRunCompiler)+"/"))
	objs := bucket(t, h.fakes.gcs, prefix)
	for _, want := range []string{"revision.json", "service.json", "logs.json", "finding.json"} {
		if _, ok := objs[prefix+want]; !ok {
			t.Errorf("no %s in %s", want, prefix)
		}
	}
	if m.Binary.Verdict != "not_collected" || !strings.HasPrefix(m.Workload.ImageDigest, "sha256:") {
		t.Errorf("manifest = %+v", m)
	}
	if !bytes.Contains(objs[prefix+"logs.json"], []byte(`"entries"`)) {
		t.Errorf("logs.json = %s", objs[prefix+"logs.json"])
	}
}

// The attacker deleted the binary: it is read from /proc/PID/exe through
// an ephemeral debug container, and still matches the finding.
func TestE2EEvidenceFileGone(t *testing.T) {
	t.Parallel()
	h := newEvidenceHarness(t, false)
	h.fakes.kube.RemoveFile(gkefake.SeedNamespace, gkefake.SeedPod, gkefake.SeedContainer, gkefake.SeedBinaryPath)
	card := h.seedCard(sccfake.SeedGKECompiler, "#secops-gke")
	out := h.collect(card)
	wantAll(t, "outcome", texts(t, out), "SHA-256 ✅ matches the finding")
	_, m := collection(t, bucket(t, h.fakes.gcs, "evidence/"+shortID(t, sccfake.SeedGKECompiler)+"/"))
	if m.Binary.Verdict != "match" {
		t.Errorf("verdict = %s", m.Binary.Verdict)
	}
	pod, _ := h.fakes.kube.Pod(gkefake.SeedNamespace, gkefake.SeedPod)
	if len(pod.Spec.EphemeralContainers) != 1 || pod.Spec.EphemeralContainers[0].TargetContainerName != gkefake.SeedContainer {
		t.Errorf("ephemeral containers = %+v", pod.Spec.EphemeralContainers)
	}
	execs := h.fakes.kube.Execs()
	if len(execs) != 2 || execs[1].Command[2] != "/proc/48213/exe" || execs[1].Container != pod.Spec.EphemeralContainers[0].Name {
		t.Errorf("execs = %+v", execs)
	}
}

// A finding whose binary path climbs with ".." gets no exec at all; the
// rest is kept and the thread says why the binary is not.
func TestE2EEvidenceDotDotPathRefused(t *testing.T) {
	t.Parallel()
	h := newEvidenceHarness(t, false)
	raw := seed(t, sccfake.SeedGKECompiler)
	raw = bytes.Replace(raw, []byte(`"path": "/usr/bin/gcc"`), []byte(`"path": "/usr/bin/../../etc/shadow"`), 1)
	if err := h.fakes.scc.AddNotification(raw); err != nil {
		t.Fatal(err)
	}
	h.fakes.publish(raw)
	card := h.waitCards("#secops-gke", 1)[0]
	out := h.collect(card)
	wantAll(t, "outcome", texts(t, out), "Evidence kept WITHOUT the binary", `holds a ".." element`)
	if n := len(h.fakes.kube.Execs()); n != 0 {
		t.Errorf("%d execs for a refused path", n)
	}
}
