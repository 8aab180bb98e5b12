package importer

import (
	"context"
	"fmt"
	"os"

	seg "github.com/tenesa-ivr/tenesa-ivr/segmentation"
)

// ImportFile imports one dataset from a file ("-" is standard input) in the
// given format ("" detects it from the name).
func (im *Importer) ImportFile(ctx context.Context, d seg.Dataset, path, format string) (Summary, error) {
	f, err := ParseFormat(format, path)
	if err != nil {
		return Summary{Dataset: d}, err
	}
	src := Source{R: os.Stdin, Format: f}
	if path != "-" {
		fh, err := os.Open(path)
		if err != nil {
			return Summary{Dataset: d}, fmt.Errorf("%s: %w", d, err)
		}
		defer fh.Close()
		src.R = fh
		if st, err := fh.Stat(); err == nil {
			src.Size = st.Size()
		}
	}
	switch d {
	case seg.DatasetCustomers:
		return im.Customers(ctx, src)
	case seg.DatasetTickets:
		return im.Tickets(ctx, src)
	case seg.DatasetIncidents:
		return im.Incidents(ctx, src)
	}
	return Summary{Dataset: d}, fmt.Errorf("unknown dataset %q (customers, tickets, incidents)", d)
}
