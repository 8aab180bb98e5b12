package segmentation

import "time"

// Customer is one TENESA customer as the CRM exports it and Redis caches it.
// A *Customer handed out by a Resolver is shared by the cache: treat it as
// read-only.
type Customer struct {
	ID             string   `json:"customer_id"`
	Name           string   `json:"name"`
	Segment        string   `json:"segment"`
	Tier           string   `json:"tier"`
	Language       string   `json:"language"`
	Region         string   `json:"region"`
	Products       []string `json:"products"`
	AccountManager string   `json:"account_manager,omitempty"`
}

// HasProduct reports whether the customer subscribes to product.
func (c *Customer) HasProduct(product string) bool {
	for _, p := range c.Products {
		if p == product {
			return true
		}
	}
	return false
}

// Ticket is the open trouble ticket of one service ID.
type Ticket struct {
	ServiceID string    `json:"service_id"`
	TicketID  string    `json:"ticket_id"`
	Status    string    `json:"status"`
	UpdatedAt time.Time `json:"updated_at"`
	ETA       time.Time `json:"eta,omitzero"`
}

// Incident is a known mass outage of one product in one region (or in every
// region, Region == AllRegions).
type Incident struct {
	Product     string    `json:"product"`
	Region      string    `json:"region"`
	Prompt      string    `json:"prompt"`
	StartedAt   time.Time `json:"started_at"`
	ExpectedEnd time.Time `json:"expected_end,omitzero"`
}

// AllRegions as an incident's region means the outage hits every region.
const AllRegions = "*"

// Ticket statuses the importer accepts.
const (
	TicketOpen       = "open"
	TicketInProgress = "in_progress"
	TicketPending    = "pending"
	TicketResolved   = "resolved"
	TicketClosed     = "closed"
)

// TicketStatuses is the closed set of ticket statuses.
var TicketStatuses = []string{TicketOpen, TicketInProgress, TicketPending, TicketResolved, TicketClosed}

// Field names of the Redis hashes (DESIGN §3). The importer writes them, the
// look-up scripts read them.
const (
	fieldName           = "name"
	fieldSegment        = "segment"
	fieldTier           = "tier"
	fieldLanguage       = "language"
	fieldRegion         = "region"
	fieldProducts       = "products"
	fieldAccountManager = "account_manager"

	fieldTicketID  = "ticket_id"
	fieldStatus    = "status"
	fieldUpdatedAt = "updated_at"
	fieldETA       = "eta"

	fieldPrompt      = "prompt"
	fieldStartedAt   = "started_at"
	fieldExpectedEnd = "expected_end"
)

// ListSep separates list values (products, phones, service IDs) in CSV
// fields and in Redis hash fields.
const ListSep = ";"
