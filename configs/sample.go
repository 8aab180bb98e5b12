package configs

import "embed"

// Sample is the sample CRM export of configs/sample (customers.csv,
// tickets.csv, incidents.csv), embedded so `tenesa-ivr demo` works from any
// directory.
//
//go:embed sample/*.csv
var Sample embed.FS
