package discordtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
)

// Application-command limits (Discord: "Application Commands", "Registering
// a Command" and "Application Command Naming").
const (
	maxChatInputCommands = 100
	maxContextCommands   = 5
	maxCommandOptions    = 25
	maxOptionChoices     = 25
	maxCommandName       = 32
	maxCommandDesc       = 100
	maxChoiceName        = 100
	maxChoiceStringValue = 100
	maxCommandSize       = 4000
)

// commandName is Discord's CHAT_INPUT naming rule.
var commandName = regexp.MustCompile(`^[-_\p{L}\p{N}\p{Devanagari}\p{Thai}]{1,32}$`)

func (s *Server) commandScope(rc *restCall) (string, answer, bool) {
	if rc.r.PathValue("app") != s.cfg.appID {
		return "", fail(http.StatusForbidden, CodeMissingAccess, "Missing Access"), false
	}
	guildID := rc.r.PathValue("guild")
	if guildID != "" {
		s.mu.Lock()
		_, known := s.guilds[guildID]
		s.mu.Unlock()
		if !known {
			return "", fail(http.StatusForbidden, CodeMissingAccess, "Missing Access"), false
		}
	}
	return guildID, answer{}, true
}

func (s *Server) getCommands(rc *restCall) answer {
	guildID, a, allowed := s.commandScope(rc)
	if !allowed {
		return a
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.commands[guildID]
	if out == nil {
		out = []*discordgo.ApplicationCommand{}
	}
	return ok(omitNulls(mustJSON(out)))
}

// putCommands is the bulk overwrite: the body replaces every command in the
// scope; commands keep their ID when a command of the same name and type
// existed, as on Discord.
func (s *Server) putCommands(rc *restCall) answer {
	guildID, a, allowed := s.commandScope(rc)
	if !allowed {
		return a
	}
	var cmds []*discordgo.ApplicationCommand
	if !decodeBody(rc, &cmds) {
		return badJSON()
	}
	errs := formErrors{}
	validateCommands(cmds, errs)
	if len(errs) > 0 {
		return invalidForm(errs)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := map[string]string{}
	for _, c := range s.commands[guildID] {
		old[commandKey(c)] = c.ID
	}
	out := make([]*discordgo.ApplicationCommand, 0, len(cmds))
	for _, c := range cmds {
		if c.Type == 0 {
			c.Type = discordgo.ChatApplicationCommand
		}
		c.ID = old[commandKey(c)]
		if c.ID == "" {
			c.ID = s.ids.next()
		}
		c.ApplicationID = s.cfg.appID
		c.GuildID = guildID
		c.Version = s.ids.next()
		out = append(out, c)
	}
	s.commands[guildID] = out
	s.notifyLocked()
	return ok(omitNulls(mustJSON(out)))
}

func commandKey(c *discordgo.ApplicationCommand) string {
	t := c.Type
	if t == 0 {
		t = discordgo.ChatApplicationCommand
	}
	return strconv.Itoa(int(t)) + "/" + c.Name
}

// validateCommands applies Discord's registration rules to a bulk overwrite.
func validateCommands(cmds []*discordgo.ApplicationCommand, errs formErrors) {
	seen := map[string]bool{}
	counts := map[discordgo.ApplicationCommandType]int{}
	for i, c := range cmds {
		p := strconv.Itoa(i)
		if c == nil {
			errs.add(p, "BASE_TYPE_REQUIRED", "This field is required")
			continue
		}
		t := c.Type
		if t == 0 {
			t = discordgo.ChatApplicationCommand
		}
		counts[t]++
		if seen[commandKey(c)] {
			errs.add(p+".name", "APPLICATION_COMMANDS_DUPLICATE_NAME", fmt.Sprintf("Application command names must be unique: %s", c.Name))
		}
		seen[commandKey(c)] = true
		switch t {
		case discordgo.ChatApplicationCommand:
			checkName(errs, p+".name", c.Name)
			checkDesc(errs, p+".description", c.Description)
			validateOptions(c.Options, p+".options", 0, errs)
			if size := commandSize(c); size > maxCommandSize {
				errs.add(p, "APPLICATION_COMMAND_TOO_LARGE", fmt.Sprintf("Command exceeds maximum size (%d)", maxCommandSize))
			}
		case discordgo.UserApplicationCommand, discordgo.MessageApplicationCommand:
			if n := utf8.RuneCountInString(c.Name); n < 1 || n > maxCommandName {
				errs.add(p+".name", "BASE_TYPE_BAD_LENGTH", fmt.Sprintf("Must be between 1 and %d in length.", maxCommandName))
			}
			if c.Description != "" || len(c.Options) > 0 {
				errs.add(p, "APPLICATION_COMMAND_INVALID", "Context menu commands take neither description nor options.")
			}
		default:
			errs.add(p+".type", "BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3, 4}.")
		}
	}
	if counts[discordgo.ChatApplicationCommand] > maxChatInputCommands {
		errs.add("_", "APPLICATION_COMMANDS_TOO_MANY", fmt.Sprintf("Maximum number of application commands reached (%d)", maxChatInputCommands))
	}
	for _, t := range []discordgo.ApplicationCommandType{discordgo.UserApplicationCommand, discordgo.MessageApplicationCommand} {
		if counts[t] > maxContextCommands {
			errs.add("_", "APPLICATION_COMMANDS_TOO_MANY", fmt.Sprintf("Maximum number of context menu commands reached (%d)", maxContextCommands))
		}
	}
}

// validateOptions checks one level of options; depth 0 is the command's.
func validateOptions(opts []*discordgo.ApplicationCommandOption, p string, depth int, errs formErrors) {
	if len(opts) > maxCommandOptions {
		errs.add(p, "BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Must be %d or fewer in length.", maxCommandOptions))
	}
	subs, plain := 0, 0
	optional := false
	names := map[string]bool{}
	for i, o := range opts {
		op := p + "." + strconv.Itoa(i)
		if o == nil {
			errs.add(op, "BASE_TYPE_REQUIRED", "This field is required")
			continue
		}
		checkName(errs, op+".name", o.Name)
		checkDesc(errs, op+".description", o.Description)
		if names[o.Name] {
			errs.add(op+".name", "APPLICATION_COMMAND_OPTIONS_DUPLICATE_NAME", "Option names must be unique")
		}
		names[o.Name] = true
		switch o.Type {
		case discordgo.ApplicationCommandOptionSubCommandGroup:
			subs++
			if depth > 0 {
				errs.add(op+".type", "APPLICATION_COMMAND_OPTION_TYPE_INVALID", "Subcommand groups can only be top-level options")
			}
			for j, sub := range o.Options {
				if sub == nil || sub.Type != discordgo.ApplicationCommandOptionSubCommand {
					errs.add(op+".options."+strconv.Itoa(j)+".type", "APPLICATION_COMMAND_OPTION_TYPE_INVALID", "Subcommand groups may only contain subcommands")
				}
			}
			validateOptions(o.Options, op+".options", depth+1, errs)
		case discordgo.ApplicationCommandOptionSubCommand:
			subs++
			if depth > 1 {
				errs.add(op+".type", "APPLICATION_COMMAND_OPTION_TYPE_INVALID", "Subcommands cannot be nested this deep")
			}
			for j, sub := range o.Options {
				if sub != nil && (sub.Type == discordgo.ApplicationCommandOptionSubCommand || sub.Type == discordgo.ApplicationCommandOptionSubCommandGroup) {
					errs.add(op+".options."+strconv.Itoa(j)+".type", "APPLICATION_COMMAND_OPTION_TYPE_INVALID", "Subcommands cannot contain subcommands")
				}
			}
			validateOptions(o.Options, op+".options", depth+1, errs)
		default:
			plain++
			if o.Type < discordgo.ApplicationCommandOptionString || o.Type > discordgo.ApplicationCommandOptionAttachment {
				errs.add(op+".type", "BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}.")
			}
			if o.Required && optional {
				errs.add(op+".required", "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID", "Required options must be placed before non-required options")
			}
			if !o.Required {
				optional = true
			}
			validateChoices(o, op, errs)
		}
	}
	if subs > 0 && plain > 0 {
		errs.add(p, "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID", "Subcommands and options cannot be mixed at one level")
	}
}

func validateChoices(o *discordgo.ApplicationCommandOption, p string, errs formErrors) {
	if len(o.Choices) > maxOptionChoices {
		errs.add(p+".choices", "BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Must be %d or fewer in length.", maxOptionChoices))
	}
	if len(o.Choices) > 0 && o.Autocomplete {
		errs.add(p+".autocomplete", "APPLICATION_COMMAND_OPTION_CHOICES_AUTOCOMPLETE", "Autocomplete and choices are mutually exclusive")
	}
	for k, ch := range o.Choices {
		cp := p + ".choices." + strconv.Itoa(k)
		if ch == nil {
			errs.add(cp, "BASE_TYPE_REQUIRED", "This field is required")
			continue
		}
		if n := utf8.RuneCountInString(ch.Name); n < 1 || n > maxChoiceName {
			errs.add(cp+".name", "BASE_TYPE_BAD_LENGTH", fmt.Sprintf("Must be between 1 and %d in length.", maxChoiceName))
		}
		if v, isString := ch.Value.(string); isString && utf8.RuneCountInString(v) > maxChoiceStringValue {
			errs.add(cp+".value", "BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Must be %d or fewer in length.", maxChoiceStringValue))
		}
	}
}

func checkName(errs formErrors, p, name string) {
	if !commandName.MatchString(name) || strings.ToLower(name) != name {
		errs.add(p, "APPLICATION_COMMAND_INVALID_NAME", fmt.Sprintf("Command name is invalid: %q", name))
	}
}

func checkDesc(errs formErrors, p, desc string) {
	if n := utf8.RuneCountInString(desc); n < 1 || n > maxCommandDesc {
		errs.add(p, "BASE_TYPE_BAD_LENGTH", fmt.Sprintf("Must be between 1 and %d in length.", maxCommandDesc))
	}
}

// commandSize is Discord's size measure: names, descriptions and choice
// names and values of the command and all its options.
func commandSize(c *discordgo.ApplicationCommand) int {
	n := utf8.RuneCountInString(c.Name) + utf8.RuneCountInString(c.Description)
	var walk func([]*discordgo.ApplicationCommandOption)
	walk = func(opts []*discordgo.ApplicationCommandOption) {
		for _, o := range opts {
			if o == nil {
				continue
			}
			n += utf8.RuneCountInString(o.Name) + utf8.RuneCountInString(o.Description)
			for _, ch := range o.Choices {
				if ch != nil {
					n += utf8.RuneCountInString(ch.Name) + utf8.RuneCountInString(fmt.Sprint(ch.Value))
				}
			}
			walk(o.Options)
		}
	}
	walk(c.Options)
	return n
}

// omitNulls drops null members of objects: discordgo marshals unset option
// lists as null where Discord leaves the key out.
func omitNulls(raw json.RawMessage) any {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		panic(fmt.Sprintf("discordtest: re-decode own JSON: %v", err))
	}
	var walk func(any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if e == nil {
					delete(x, k)
					continue
				}
				x[k] = walk(e)
			}
		case []any:
			for i, e := range x {
				x[i] = walk(e)
			}
		}
		return v
	}
	return walk(v)
}
