package segmentation_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	seg "github.com/tenesa-ivr/tenesa-ivr/segmentation"
)

func TestLookupReport(t *testing.T) {
	f := newFixture(t, "", nil)
	loadSample(t, f)
	ctx := context.Background()

	rep, err := seg.Lookup(ctx, f.res, seg.KindANI, "0411 5550777") // DWS-0002, makassar, data_internet
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Found || rep.Key != "+624115550777" || rep.Routing == nil || !rep.Routing.Served || rep.Routing.Segment != "DWS" ||
		len(rep.Incidents) != 1 || rep.Incidents[0].Prompt != "incident-generic" {
		t.Fatalf("report: %+v", rep)
	}

	rep, err = seg.Lookup(ctx, f.res, seg.KindSID, "122102000101") // CON-0001 with a ticket
	if err != nil {
		t.Fatal(err)
	}
	if rep.Routing == nil || rep.Routing.Served || rep.Routing.Redirect == nil || rep.Routing.Redirect.Target != "147" ||
		rep.Ticket == nil || rep.Ticket.TicketID != "IN100234508" {
		t.Fatalf("report: %+v", rep)
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"served":false`, `"target":"147"`, `"segment":"CONSUMER"`, `"language":"id"`, `"products":["indihome"]`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON lacks %s: %s", want, b)
		}
	}

	rep, err = seg.Lookup(ctx, f.res, seg.KindANI, "12")
	if !errors.Is(err, seg.ErrNumberTooShort) || rep.Error == "" || rep.Outcome != seg.ResultInvalid {
		t.Fatalf("invalid: %+v, %v", rep, err)
	}
}
