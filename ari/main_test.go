package ari

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain is the package-wide leak net; integration tests also check
// per test (leakCheck) so a leak is pinned to the test that caused it.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
