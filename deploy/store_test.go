package deploy

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/yaml"
)

// TestStoreOpensOnFSGroupVolume runs the bot as the chart's pod would run
// it, against a directory shaped as the kubelet shapes a fresh volume for
// fsGroup 65532 (group 65532, setgid, group-writable, owned by root), and
// checks the store is created there. A root-owned directory, as the old
// image gave a named volume, is refused with "permission denied".
func TestStoreOpensOnFSGroupVolume(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("this test runs the bot as uid 65532 and must run as root in CI")
		}
		t.Skip("needs root to run the bot as another user (uid 65532)")
	}
	sts, cfg := sqliteRelease(t)
	sc := sts.Spec.Template.Spec.SecurityContext
	uid, gid, fsGroup := uint32(num(sc.RunAsUser)), uint32(num(sc.RunAsGroup)), uint32(num(sc.FSGroup))
	bin := sccbotBinary(t)

	base := t.TempDir()
	for _, d := range []string{filepath.Dir(base), base} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	fsGroupVolume := makeDir(t, filepath.Join(base, "fsgroup"), 0, fsGroup, 0o775|os.ModeSetgid)
	rootVolume := makeDir(t, filepath.Join(base, "root"), 0, 0, 0o755)

	openStore := func(dir string) (string, error) {
		config := withStorePath(t, cfg, filepath.Join(dir, "sccbot.db"))
		path := filepath.Join(base, filepath.Base(dir)+".yaml")
		if err := os.WriteFile(path, config, 0o644); err != nil {
			t.Fatal(err)
		}
		// sccbot run opens (and creates) the store once its start-up
		// check has run; every endpoint refuses, which the check only
		// warns about, so the store is the first thing that can stop it.
		cmd := exec.Command(bin, "run", "--config", path)
		cmd.Env = append(unreachableEnv(), "HOME="+base)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: gid, Groups: []uint32{fsGroup}}}
		return runUntilStore(t, cmd, filepath.Join(dir, "sccbot.db"))
	}

	if out, err := openStore(fsGroupVolume); err != nil {
		t.Fatalf("store on the fsGroup volume, as uid %d: %v\n%s", uid, err, out)
	}
	info, err := os.Stat(filepath.Join(fsGroupVolume, "sccbot.db"))
	if err != nil {
		t.Fatalf("no store file: %v", err)
	}
	if st := info.Sys().(*syscall.Stat_t); st.Uid != uid || st.Gid != fsGroup {
		t.Errorf("store file owned by %d:%d, want %d:%d (the setgid directory's group)", st.Uid, st.Gid, uid, fsGroup)
	}

	out, err := openStore(rootVolume)
	if err == nil || !strings.Contains(out, "permission denied") {
		t.Errorf("store in a root-owned directory as uid %d: err %v, output %q; want permission denied", uid, err, out)
	}
}

// sqliteRelease renders the sqlite profile and returns its StatefulSet and
// the rendered sccbot.yaml.
func sqliteRelease(t *testing.T) (*appsv1.StatefulSet, string) {
	t.Helper()
	r := renderObjects(t, "sqlite")
	for _, o := range r.objects {
		if sts, ok := o.(*appsv1.StatefulSet); ok {
			return sts, r.configMap(t).Data["sccbot.yaml"]
		}
	}
	t.Fatal("no StatefulSet")
	return nil, ""
}

func makeDir(t *testing.T, dir string, uid, gid uint32, mode os.FileMode) string {
	t.Helper()
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, int(uid), int(gid)); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, mode); err != nil {
		t.Fatal(err)
	}
	return dir
}

// withStorePath returns the config with store.path replaced.
func withStorePath(t *testing.T, config, path string) []byte {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal([]byte(config), &doc); err != nil {
		t.Fatal(err)
	}
	doc["store"] = map[string]any{"path": path}
	out, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// unreachableEnv is an environment with tokens of the right shape and every
// endpoint on a port where nothing listens.
func unreachableEnv() []string {
	const nowhere = "127.0.0.1:1"
	return []string{
		"SLACK_APP_TOKEN=xapp-1-A0-1-test", "SLACK_BOT_TOKEN=xoxb-1-2-test", "SLACK_API_URL=http://" + nowhere,
		"PUBSUB_EMULATOR_HOST=" + nowhere, "SCC_EMULATOR_HOST=" + nowhere, "LOGGING_EMULATOR_HOST=" + nowhere,
		"RUN_EMULATOR_HOST=" + nowhere, "CONTAINER_EMULATOR_HOST=" + nowhere,
		"ESSENTIALCONTACTS_EMULATOR_HOST=" + nowhere, "RESOURCEMANAGER_EMULATOR_HOST=" + nowhere,
		"STORAGE_EMULATOR_HOST=" + nowhere,
	}
}

// runUntilStore runs sccbot until the store file exists (then stops it
// with SIGTERM and reports success) or until it exits on its own (an error,
// with its output).
func runUntilStore(t *testing.T, cmd *exec.Cmd, store string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.After(60 * time.Second)
	for {
		select {
		case err := <-exited:
			if err == nil {
				err = errors.New("sccbot exited before it opened the store")
			}
			return out.String(), err
		case <-deadline:
			_ = cmd.Process.Kill()
			err := <-exited
			return out.String(), fmt.Errorf("sccbot neither opened the store nor exited within 60s (then %v)", err)
		case <-time.After(50 * time.Millisecond):
		}
		if _, err := os.Stat(store); err == nil {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			if err := <-exited; err != nil {
				return out.String(), fmt.Errorf("sccbot opened the store, then exited with %w after SIGTERM", err)
			}
			return out.String(), nil
		}
	}
}
