// Command record runs every case of cases.json through Go's regexp package, used the way Prometheus 2.42 uses it,
// every quote input through strconv's quoting and every float through strconv.FormatFloat, and prints the answers
// as JSON. Its output is committed as recorded.json and read by GoRegexTests.
//
// Run with the Go that built Debian's prometheus 2.42 (go1.19): go run record.go < cases.json > recorded.json
package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"regexp"
	"runtime"
	"strconv"
)

type caseInput struct {
	Pattern   string   `json:"pattern"`
	Inputs    []string `json:"inputs"`
	HexInputs []string `json:"hexInputs"`
	Templates []string `json:"templates"`
}

type expansion struct {
	Template string `json:"template"`
	// LabelReplaceHex is label_replace's and relabeling's result: the template expanded against the anchored
	// match, or null when the anchored regex does not match.
	LabelReplaceHex *string `json:"labelReplaceHex"`
	// ReplaceAllHex is the template function reReplaceAll: unanchored ReplaceAllString.
	ReplaceAllHex *string `json:"replaceAllHex"`
}

type inputResult struct {
	Hex             string      `json:"hex"`
	AnchoredMatch   bool        `json:"anchoredMatch"`
	UnanchoredMatch bool        `json:"unanchoredMatch"`
	Expansions      []expansion `json:"expansions"`
}

type caseResult struct {
	Pattern string `json:"pattern"`
	// AnchoredError is the error compiling "^(?:" + pattern + ")$", as selectors, label_replace and relabeling do.
	AnchoredError *string `json:"anchoredError"`
	// UnanchoredError is the error compiling the pattern itself, as the template functions do.
	UnanchoredError *string       `json:"unanchoredError"`
	Inputs          []inputResult `json:"inputs"`
}

func errorText(err error) *string {
	if err == nil {
		return nil
	}
	text := err.Error()
	return &text
}

func hexOf(text string) *string {
	encoded := hex.EncodeToString([]byte(text))
	return &encoded
}

// quoteResult is Go's quoting of one string: %q, %+q, %.3q and %q of its first rune.
type quoteResult struct {
	Text       string `json:"text"`
	Quote      string `json:"quote"`
	QuoteASCII string `json:"quoteASCII"`
	Quote3     string `json:"quote3"`
	QuoteRune  string `json:"quoteRune"`
}

// floatResult is strconv.FormatFloat(v, fmt, -1, 64) of one value for each shortest format.
type floatResult struct {
	Bits string `json:"bits"`
	E    string `json:"e"`
	UE   string `json:"E"`
	F    string `json:"f"`
	G    string `json:"g"`
	UG   string `json:"G"`
	V    string `json:"v"`
}

func main() {
	var input struct {
		Cases  []caseInput `json:"cases"`
		Quotes []string    `json:"quotes"`
		Floats []string    `json:"floats"`
	}
	if err := json.NewDecoder(os.Stdin).Decode(&input); err != nil {
		panic(err)
	}
	results := []caseResult{}
	for _, c := range input.Cases {
		anchored, anchoredErr := regexp.Compile("^(?:" + c.Pattern + ")$")
		unanchored, unanchoredErr := regexp.Compile(c.Pattern)
		result := caseResult{Pattern: c.Pattern, AnchoredError: errorText(anchoredErr), UnanchoredError: errorText(unanchoredErr), Inputs: []inputResult{}}
		texts := append([]string{}, c.Inputs...)
		for _, h := range c.HexInputs {
			decoded, err := hex.DecodeString(h)
			if err != nil {
				panic(err)
			}
			texts = append(texts, string(decoded))
		}
		if anchoredErr == nil && unanchoredErr == nil {
			for _, text := range texts {
				r := inputResult{Hex: *hexOf(text), AnchoredMatch: anchored.MatchString(text), UnanchoredMatch: unanchored.MatchString(text), Expansions: []expansion{}}
				for _, template := range c.Templates {
					e := expansion{Template: template}
					if indices := anchored.FindStringSubmatchIndex(text); indices != nil {
						e.LabelReplaceHex = hexOf(string(anchored.ExpandString(nil, template, text, indices)))
					}
					e.ReplaceAllHex = hexOf(unanchored.ReplaceAllString(text, template))
					r.Expansions = append(r.Expansions, e)
				}
				result.Inputs = append(result.Inputs, r)
			}
		}
		results = append(results, result)
	}
	quotes := []quoteResult{}
	for _, text := range input.Quotes {
		runes := []rune(text)
		quotes = append(quotes, quoteResult{Text: text, Quote: strconv.Quote(text), QuoteASCII: strconv.QuoteToASCII(text),
			Quote3: fmt.Sprintf("%.3q", text), QuoteRune: strconv.QuoteRune(runes[len(runes)-1])})
	}
	floats := []floatResult{}
	for _, text := range input.Floats {
		v, err := strconv.ParseFloat(text, 64)
		if err != nil {
			panic(err)
		}
		format := func(f byte) string { return strconv.FormatFloat(v, f, -1, 64) }
		floats = append(floats, floatResult{Bits: fmt.Sprintf("%016x", math.Float64bits(v)), E: format('e'), UE: format('E'),
			F: format('f'), G: format('g'), UG: format('G'), V: fmt.Sprintf("%v", v)})
	}
	encoder := json.NewEncoder(os.Stdout)
	encoder.SetIndent("", " ")
	if err := encoder.Encode(map[string]interface{}{"goVersion": runtime.Version(), "cases": results, "quotes": quotes, "floats": floats}); err != nil {
		panic(err)
	}
}
