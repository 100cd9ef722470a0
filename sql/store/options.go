package store

import (
	"fmt"
	"strings"
)

// ReadOption changes how a load reads its file. Loads without options detect
// everything from the content.
type ReadOption func(*readOptions)

// readOptions are the settled read options of one load.
type readOptions struct {
	sheet     string // Excel sheet; "" is the first
	decimal   string // "." or ","; "" detects per column
	dateOrder string // "dmy" or "mdy" for dates like 01/02/2024; "" decides from the values
}

// WithSheet reads the named sheet of an Excel file instead of the first.
func WithSheet(name string) ReadOption { return func(o *readOptions) { o.sheet = name } }

// WithDecimal sets the decimal separator of text numbers: "." or ",".
func WithDecimal(sep string) ReadOption { return func(o *readOptions) { o.decimal = sep } }

// WithDateOrder reads ambiguous dates such as 01/02/2024 as "dmy" or "mdy".
func WithDateOrder(order string) ReadOption { return func(o *readOptions) { o.dateOrder = order } }

// settle applies opts and checks their values.
func settle(opts []ReadOption) (readOptions, error) {
	var o readOptions
	for _, f := range opts {
		f(&o)
	}
	o.dateOrder = strings.ToLower(o.dateOrder)
	if o.decimal != "" && o.decimal != "." && o.decimal != "," {
		return o, fmt.Errorf("%w: decimal separator %q: use \".\" or \",\"", ErrInvalid, o.decimal)
	}
	if o.dateOrder != "" && o.dateOrder != "dmy" && o.dateOrder != "mdy" {
		return o, fmt.Errorf("%w: date order %q: use \"dmy\" or \"mdy\"", ErrInvalid, o.dateOrder)
	}
	if len(o.sheet) > 200 {
		return o, fmt.Errorf("%w: sheet name is longer than 200 characters", ErrInvalid)
	}
	return o, nil
}

// key is a stable text of the non-default options, "" for none. It is mixed into
// the fingerprint so that the same bytes read differently are not a cache hit.
func (o readOptions) key() string {
	if o == (readOptions{}) {
		return ""
	}
	return fmt.Sprintf("sheet=%q decimal=%q date_order=%q", o.sheet, o.decimal, o.dateOrder)
}
