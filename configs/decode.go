package configs

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
)

var durationType = reflect.TypeFor[time.Duration]()

// strictHook is the one decode hook of Load (mapstructure runs with
// WeaklyTypedInput off): it converts what a YAML file or an environment
// variable may legitimately hold into the field's type and rejects the rest,
// with a message that quotes the value. A bare number is not a duration (it
// would be nanoseconds), 1.9 is not a whole number, true is not a number.
// Strings are accepted for scalars because environment values are strings.
func strictHook(from, to reflect.Value) (any, error) {
	in := from.Interface()
	t := to.Type()
	if t == durationType {
		return toDuration(in)
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return toInt(in, t.Bits())
	case reflect.Bool:
		return toBool(in)
	case reflect.String:
		return toString(in)
	case reflect.Slice:
		switch v := in.(type) {
		case []any:
			return v, nil
		case string: // environment: a comma-separated list
			if t.Elem().Kind() != reflect.String {
				return nil, fmt.Errorf("%s is not a list", describe(in))
			}
			var out []string
			for _, s := range strings.Split(v, ",") {
				if s = strings.TrimSpace(s); s != "" {
					out = append(out, s)
				}
			}
			return out, nil
		}
		if from.Kind() == reflect.Slice {
			return in, nil
		}
		return nil, fmt.Errorf("%s is not a list", describe(in))
	case reflect.Map, reflect.Struct:
		if from.Kind() != reflect.Map {
			return nil, fmt.Errorf("%s is not a mapping", describe(in))
		}
	}
	return in, nil
}

const durationHint = `write a duration with its unit, like "5s" or "150ms"`

func toDuration(in any) (any, error) {
	switch v := in.(type) {
	case time.Duration:
		return v, nil
	case string:
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err == nil {
			return d, nil
		}
		if _, nerr := strconv.ParseFloat(strings.TrimSpace(v), 64); nerr == nil {
			return nil, fmt.Errorf("%q has no unit: %s", v, durationHint)
		}
		return nil, fmt.Errorf("%q is not a duration: %s", v, durationHint)
	case int, int64, uint64, float64:
		return nil, fmt.Errorf("%v has no unit: %s", v, durationHint)
	}
	return nil, fmt.Errorf("%s is not a duration: %s", describe(in), durationHint)
}

func toInt(in any, bits int) (any, error) {
	var n int64
	switch v := in.(type) {
	case int:
		n = int64(v)
	case int64:
		n = v
	case uint64:
		if v > math.MaxInt64 {
			return nil, fmt.Errorf("%d is too large", v)
		}
		n = int64(v)
	case float64:
		if v != math.Trunc(v) || math.IsInf(v, 0) || v > math.MaxInt64 || v < math.MinInt64 {
			return nil, fmt.Errorf("%v is not a whole number", v)
		}
		n = int64(v)
	case string:
		var err error
		if n, err = strconv.ParseInt(strings.TrimSpace(v), 10, 64); err != nil {
			return nil, fmt.Errorf("%q is not a whole number", v)
		}
	default:
		return nil, fmt.Errorf("%s is not a number", describe(in))
	}
	if bits < 64 && (n > 1<<(bits-1)-1 || n < -1<<(bits-1)) {
		return nil, fmt.Errorf("%d is out of range", n)
	}
	return n, nil
}

func toBool(in any) (any, error) {
	switch v := in.(type) {
	case bool:
		return v, nil
	case string:
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
	}
	return nil, fmt.Errorf("%s is not true or false", describe(in))
}

// toString accepts text and whole numbers written without quotes (a line
// number 8000); true or 1.5 where text is expected is most likely a mistake.
func toString(in any) (any, error) {
	switch v := in.(type) {
	case string:
		return v, nil
	case int:
		return strconv.Itoa(v), nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case uint64:
		return strconv.FormatUint(v, 10), nil
	case bool, float64:
		return nil, fmt.Errorf("%v is not text: quote it if it is meant as text", v)
	}
	return nil, fmt.Errorf("%s is not text", describe(in))
}

// describe names a decoded value in a message: the value itself for a
// scalar, its shape for a list or a mapping.
func describe(in any) string {
	switch v := in.(type) {
	case nil:
		return "an empty value"
	case string:
		return strconv.Quote(v)
	case bool, int, int64, uint64, float64:
		return fmt.Sprint(v)
	}
	switch reflect.ValueOf(in).Kind() {
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map:
		return "a mapping"
	}
	return fmt.Sprintf("a %T", in)
}
