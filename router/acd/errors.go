package acd

import (
	"errors"
	"fmt"
)

// Error classes; test with errors.Is. The agent API maps them to HTTP
// statuses: ErrNotFound → 404, ErrConflict → 409, ErrInvalid → 400,
// ErrForbidden → 403.
var (
	ErrNotFound  = errors.New("not found")
	ErrConflict  = errors.New("conflict")
	ErrInvalid   = errors.New("invalid")
	ErrForbidden = errors.New("forbidden")
)

// NotFoundError names what does not exist.
type NotFoundError struct {
	Kind string // agent | call | queue
	ID   string
}

func (e *NotFoundError) Error() string { return fmt.Sprintf("unknown %s %q", e.Kind, e.ID) }

// Is makes errors.Is(err, ErrNotFound) true.
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

// StateError is a state change the agent's (or the call's) current state
// does not allow, e.g. ready while on a call.
type StateError struct {
	AgentID string
	Op      string // login, logout, ready, pause, answered, ...
	State   State  // the state the agent is in
	CallID  string // the call the agent is busy with, if any
}

func (e *StateError) Error() string {
	msg := fmt.Sprintf("agent %q cannot %s while %s", e.AgentID, e.Op, e.State)
	if e.CallID != "" {
		msg += " (call " + e.CallID + ")"
	}
	return msg
}

// Is makes errors.Is(err, ErrConflict) true.
func (e *StateError) Is(target error) bool { return target == ErrConflict }

// CallStateError is a report about a call that does not match what the acd
// knows (e.g. Answered for an agent the call was not offered to).
type CallStateError struct {
	CallID string
	Op     string
	Why    string
}

func (e *CallStateError) Error() string {
	return fmt.Sprintf("call %q: cannot %s: %s", e.CallID, e.Op, e.Why)
}

// Is makes errors.Is(err, ErrConflict) true.
func (e *CallStateError) Is(target error) bool { return target == ErrConflict }

// ValidationError names the field of a request that is wrong.
type ValidationError struct {
	Field   string
	Message string
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Message }

// Is makes errors.Is(err, ErrInvalid) true.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// ForbiddenError: the acting agent's role does not allow the operation.
type ForbiddenError struct {
	AgentID string
	Op      string
}

func (e *ForbiddenError) Error() string {
	return fmt.Sprintf("agent %q may not %s", e.AgentID, e.Op)
}

// Is makes errors.Is(err, ErrForbidden) true.
func (e *ForbiddenError) Is(target error) bool { return target == ErrForbidden }
