package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
)

// maxJSONLine bounds one JSON line of a command's input: a story with its
// full article text is well under 1 MiB; 16 MiB leaves room without letting
// a runaway input take all memory.
const maxJSONLine = 16 << 20

// jsonObject is a JSON line as read, so that fields a command does not know
// pass through unchanged.
type jsonObject = map[string]json.RawMessage

// transformJSONLines applies fn to each JSON line of in and writes what it
// returns to out; a nil object drops the line. A line fn rejects is reported
// on errOut with its number and skipped, and the command fails at the end,
// so that a pipeline neither stops at one bad story nor hides it.
func transformJSONLines(ctx context.Context, command string, in io.Reader, out, errOut io.Writer, fn func(line []byte) (jsonObject, error)) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 64<<10), maxJSONLine)
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	lineNo, bad := 0, 0
	for sc.Scan() {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%s: stopped at line %d: %w", command, lineNo, err)
		}
		lineNo++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		obj, err := fn(line)
		if err != nil {
			bad++
			// The same "vigil: command:" prefix as the error the command
			// ends with, so every report reads and greps alike.
			fmt.Fprintf(errOut, "vigil: %s: line %d: %v\n", command, lineNo, err)
			continue
		}
		if obj == nil {
			continue
		}
		if err := enc.Encode(obj); err != nil {
			return fmt.Errorf("%s: write line %d: %w", command, lineNo, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: read line %d: %w", command, lineNo+1, err)
	}
	if bad > 0 {
		return fmt.Errorf("%s: skipped %d of %d lines that were not stories (each is reported above)", command, bad, lineNo)
	}
	return nil
}

// decodeJSONObject reads one JSON line as an object, or says in words what
// it is instead.
func decodeJSONObject(line []byte) (jsonObject, error) {
	var obj jsonObject
	if err := json.Unmarshal(line, &obj); err != nil {
		return nil, errors.New(describeJSONError(err))
	}
	if obj == nil {
		return nil, errors.New("not a JSON object but null")
	}
	return obj, nil
}

// describeJSONError turns encoding/json's errors, which name Go types
// (map[string]json.RawMessage), into what the input got wrong.
func describeJSONError(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		if syntax.Offset >= 0 && strings.HasPrefix(syntax.Error(), "unexpected end") {
			return "not valid JSON: it ends before the object does"
		}
		return fmt.Sprintf("not valid JSON (at character %d)", syntax.Offset)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return fmt.Sprintf("not a JSON object but %s", jsonKind(typ.Value))
		}
		return fmt.Sprintf("field %q is %s, not %s", typ.Field, jsonKind(typ.Value), goKind(typ.Type))
	}
	return "not a valid story: " + err.Error()
}

// jsonKind names the JSON value encoding/json calls "array", "number"...
func jsonKind(value string) string {
	switch {
	case value == "array":
		return "a list"
	case value == "object":
		return "an object"
	case value == "string":
		return "a string"
	case value == "bool":
		return "true or false"
	case value == "number" || strings.HasPrefix(value, "number "):
		return "a number"
	}
	return value
}

// goKind names what a Go type expects, in JSON's words.
func goKind(t reflect.Type) string {
	if t == nil {
		return "what was expected"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "a different kind of value"
}

// nonNil makes an empty list encode as [] rather than null.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
