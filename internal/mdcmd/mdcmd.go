// Package mdcmd finds the commands a Markdown document tells its reader to
// run, so that tests can run them as written: every line of a ```sh block,
// with the ```text block that follows it as the sample output of its last
// command, and the code in a table's "command" column.
package mdcmd

import (
	"regexp"
	"strconv"
	"strings"
)

// Command is one command line of the document.
type Command struct {
	Line    int    // 1-based line in the document
	Text    string // the command, without its trailing comment
	Comment string // the text after " # ", if any
	// Output is the sample output the document shows for this command
	// (the ```text block after its ```sh block), "" when none.
	Output string
	// OutputLine is the line of the first line of Output.
	OutputLine int
}

// ExitCode is the exit code the command's comment promises ("exits 1"),
// 0 when it says none.
func (c Command) ExitCode() int {
	if m := exitsRe.FindStringSubmatch(c.Comment); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

var exitsRe = regexp.MustCompile(`\bexits (\d+)\b`)

// Parse returns the commands of doc, in order.
func Parse(doc string) []Command {
	var cmds []Command
	lines := strings.Split(doc, "\n")
	lastBlockEnd := -1 // index into cmds after the last ```sh block, -1 if a text block may not attach
	columns := -1      // index of the "command" column of the table being read
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if lang, ok := strings.CutPrefix(line, "```"); ok {
			end := i + 1
			for end < len(lines) && !strings.HasPrefix(lines[end], "```") {
				end++
			}
			body := lines[i+1 : min(end, len(lines))]
			switch strings.TrimSpace(lang) {
			case "sh":
				for j, l := range body {
					if c, ok := command(l, i+2+j); ok {
						cmds = append(cmds, c)
					}
				}
				lastBlockEnd = len(cmds)
			case "text":
				if lastBlockEnd > 0 && lastBlockEnd == len(cmds) && cmds[len(cmds)-1].Output == "" {
					cmds[len(cmds)-1].Output = strings.Join(body, "\n") + "\n"
					cmds[len(cmds)-1].OutputLine = i + 2
				}
				lastBlockEnd = -1
			default:
				lastBlockEnd = -1
			}
			i = end
			continue
		}
		if strings.HasPrefix(line, "#") {
			lastBlockEnd = -1 // a new section: a later text block is not this command's
		}
		if !strings.HasPrefix(line, "|") {
			columns = -1
			continue
		}
		cells := tableCells(line)
		switch {
		case columns < 0:
			columns = -2 // a table without a command column
			for k, c := range cells {
				if strings.EqualFold(c, "command") {
					columns = k
				}
			}
		case columns >= 0 && columns < len(cells):
			if code, ok := strings.CutPrefix(cells[columns], "`"); ok && strings.HasSuffix(code, "`") {
				cmds = append(cmds, Command{Line: i + 1, Text: strings.TrimSuffix(code, "`")})
			}
		}
	}
	return cmds
}

// command reads one line of a sh block.
func command(line string, n int) (Command, bool) {
	text, comment := line, ""
	if i := strings.Index(line, " # "); i >= 0 {
		text, comment = line[:i], strings.TrimSpace(line[i+3:])
	}
	text = strings.TrimSpace(text)
	if text == "" || strings.HasPrefix(text, "#") {
		return Command{}, false
	}
	return Command{Line: n, Text: text, Comment: comment}, true
}

func tableCells(line string) []string {
	line = strings.TrimSpace(line)
	line = strings.TrimPrefix(strings.TrimSuffix(line, "|"), "|")
	cells := strings.Split(line, "|")
	for i := range cells {
		cells[i] = strings.TrimSpace(cells[i])
	}
	return cells
}
