package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const unitPath = "deploy/vigil.service"

// TestSystemdUnitAsksForRestartsAndHardening reads the shipped unit for what
// the README promises of it.
func TestSystemdUnitAsksForRestartsAndHardening(t *testing.T) {
	b, err := os.ReadFile(unitPath)
	if err != nil {
		t.Fatal(err)
	}
	unit := string(b)
	for _, want := range []string{
		"ExecStart=/usr/local/bin/vigil run --config /etc/vigil/vigil.toml",
		"Restart=on-failure", "DynamicUser=yes", "StateDirectory=vigil", "WorkingDirectory=/var/lib/vigil",
		"ProtectSystem=strict", "NoNewPrivileges=yes", "CapabilityBoundingSet=\n",
	} {
		if !strings.Contains(unit, want) {
			t.Errorf("%s lacks %q", unitPath, strings.TrimSpace(want))
		}
	}
}

// TestSystemdUnitVerifies runs systemd-analyze verify on the unit where the
// tool exists. verify exits 0 on unknown keys and bad values, printing a
// warning for each, so any line it prints about the unit fails the test.
// ExecStart points at this test's own binary: verify checks it is there.
func TestSystemdUnitVerifies(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed: the unit is checked where it is")
	}
	b, err := os.ReadFile(unitPath)
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "vigil.service")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(string(b), "/usr/local/bin/vigil", self)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", path).CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "vigil.service") {
			t.Errorf("systemd-analyze verify: %s", line)
		}
	}
}
