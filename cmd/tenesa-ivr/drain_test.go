package main

import (
	"bufio"
	"bytes"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// child is a bash process standing in for a serving controller: it prints
// "ready", and what it does on SIGTERM is its trap.
type child struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  *bufio.Scanner
	exited atomic.Bool
	done   chan struct{}
}

func startChild(t *testing.T, trap string) *child {
	t.Helper()
	c := &child{cmd: exec.Command("bash", "-c", "trap '"+trap+"' TERM; echo ready; while read x; do :; done"),
		done: make(chan struct{})}
	var err error
	if c.stdin, err = c.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := c.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c.lines = bufio.NewScanner(out)
	c.expect(t, "ready")
	go func() { // reaps it: a zombie would still answer kill(pid, 0)
		_ = c.cmd.Wait()
		c.exited.Store(true)
		close(c.done)
	}()
	t.Cleanup(func() { _ = c.cmd.Process.Kill(); <-c.done })
	return c
}

func (c *child) expect(t *testing.T, line string) {
	t.Helper()
	if !c.lines.Scan() || c.lines.Text() != line {
		t.Fatalf("child said %q (%v), want %q", c.lines.Text(), c.lines.Err(), line)
	}
}

// The preStop hook returns only once the controller has stopped: SIGTERM
// started its drain, and drain did not return while calls (here: the
// child waiting for its release) were still in progress.
func TestDrainSignalsTheControllerAndReturnsOnlyAfterItStopped(t *testing.T) {
	c := startChild(t, "echo term; read release; exit 0")
	type result struct {
		code           int
		stderr         string
		exitedAtReturn bool
	}
	res := make(chan result, 1)
	go func() {
		var out, errb bytes.Buffer
		code := run([]string{"drain", "--pid", strconv.Itoa(c.cmd.Process.Pid)} /* bound: ari.shutdown_grace + 15s */, &out, &errb)
		res <- result{code, errb.String(), c.exited.Load()}
	}()
	c.expect(t, "term") // the controller got SIGTERM and is draining
	if _, err := io.WriteString(c.stdin, "calls done\n"); err != nil {
		t.Fatal(err)
	}
	r := <-res
	if r.code != 0 {
		t.Fatalf("drain exit %d, stderr:\n%s", r.code, r.stderr)
	}
	if !r.exitedAtReturn {
		t.Error("drain returned while the controller was still running")
	}
	if !strings.Contains(r.stderr, "stopped") {
		t.Errorf("stderr does not say the process stopped:\n%s", r.stderr)
	}
}

// A controller that does not stop within the bound makes the hook fail
// (the kubelet then signals again and, at the grace period's end, kills).
func TestDrainFailsWhenTheControllerOutlivesTheTimeout(t *testing.T) {
	c := startChild(t, "") // ignores SIGTERM
	var out, errb bytes.Buffer
	pid := strconv.Itoa(c.cmd.Process.Pid)
	code := run([]string{"drain", "--pid", pid, "--timeout", "300ms"}, &out, &errb)
	if code != 1 {
		t.Fatalf("drain exit %d, want 1; stderr:\n%s", code, errb.String())
	}
	if want := "process " + pid + " still running after 300ms"; !strings.Contains(errb.String(), want) {
		t.Errorf("stderr lacks %q:\n%s", want, errb.String())
	}
	if c.exited.Load() {
		t.Error("the child exited: it was meant to ignore SIGTERM")
	}
}

func TestDrainRefusesAPidBelowOne(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"drain", "--pid", "0"}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "--pid 0") {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
}
