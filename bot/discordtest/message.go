package discordtest

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
)

// Discord's message limits (Discord: "Create Message" and "Embed Limits").
const (
	maxContentLength     = 2000
	maxEmbeds            = 10
	maxEmbedTitle        = 256
	maxEmbedDescription  = 4096
	maxEmbedFields       = 25
	maxEmbedFieldName    = 256
	maxEmbedFieldValue   = 1024
	maxEmbedFooter       = 2048
	maxEmbedAuthorName   = 256
	maxEmbedTotal        = 6000
	maxNonceLength       = 25
	maxAllowedMentionIDs = 100
	// nonceWindow is how long enforce_nonce remembers a nonce. Discord:
	// "checked for uniqueness in the past few minutes".
	nonceWindow = 5 * time.Minute
)

// Message is a message as the fake stores it.
type Message struct {
	ID        string
	ChannelID string
	GuildID   string
	Type      discordgo.MessageType
	Author    discordgo.User
	Content   string
	Embeds    []*discordgo.MessageEmbed
	// Components is the components array exactly as sent.
	Components      json.RawMessage
	AllowedMentions *discordgo.MessageAllowedMentions
	// Pinged is who the message notified under Discord's mention rules.
	Pinged      Mentions
	Nonce       string
	Flags       discordgo.MessageFlags
	TTS         bool
	Attachments []Attachment
	// WebhookID is set on interaction responses and follow-ups.
	WebhookID     string
	InteractionID string
	Timestamp     time.Time
	// EditedTimestamp is zero until the message is edited.
	EditedTimestamp time.Time
}

// Mentions is who a message pings.
type Mentions struct {
	Everyone bool
	Users    []string
	Roles    []string
}

// Attachment is a file uploaded with a multipart request.
type Attachment struct {
	Field       string
	Filename    string
	ContentType string
	Size        int64
}

func (m *Message) clone() Message {
	out := *m
	out.Embeds = cloneJSON(m.Embeds)
	out.AllowedMentions = cloneJSON(m.AllowedMentions)
	out.Components = slices.Clone(m.Components)
	out.Attachments = slices.Clone(m.Attachments)
	out.Pinged.Users = slices.Clone(m.Pinged.Users)
	out.Pinged.Roles = slices.Clone(m.Pinged.Roles)
	return out
}

// wireMessage is Discord's message object.
type wireMessage struct {
	ID              string                    `json:"id"`
	Type            discordgo.MessageType     `json:"type"`
	ChannelID       string                    `json:"channel_id"`
	Author          wireUser                  `json:"author"`
	Content         string                    `json:"content"`
	Timestamp       string                    `json:"timestamp"`
	EditedTimestamp *string                   `json:"edited_timestamp"`
	TTS             bool                      `json:"tts"`
	MentionEveryone bool                      `json:"mention_everyone"`
	Mentions        []wireUser                `json:"mentions"`
	MentionRoles    []string                  `json:"mention_roles"`
	Attachments     []wireAttachment          `json:"attachments"`
	Embeds          []*discordgo.MessageEmbed `json:"embeds"`
	Components      json.RawMessage           `json:"components"`
	Pinned          bool                      `json:"pinned"`
	Flags           discordgo.MessageFlags    `json:"flags"`
	Nonce           string                    `json:"nonce,omitempty"`
	WebhookID       string                    `json:"webhook_id,omitempty"`
	ApplicationID   string                    `json:"application_id,omitempty"`
}

// wireUser is Discord's public user object, without the private fields
// (email, token, ...) that discordgo.User would marshal empty.
type wireUser struct {
	ID            string  `json:"id"`
	Username      string  `json:"username"`
	Discriminator string  `json:"discriminator"`
	GlobalName    *string `json:"global_name"`
	Avatar        *string `json:"avatar"`
	Bot           bool    `json:"bot,omitempty"`
	PublicFlags   int     `json:"public_flags"`
}

func userJSON(u *discordgo.User) wireUser {
	w := wireUser{ID: u.ID, Username: u.Username, Discriminator: u.Discriminator, Bot: u.Bot, PublicFlags: int(u.PublicFlags)}
	if w.Discriminator == "" {
		w.Discriminator = "0"
	}
	if u.GlobalName != "" {
		w.GlobalName = &u.GlobalName
	}
	if u.Avatar != "" {
		w.Avatar = &u.Avatar
	}
	return w
}

type wireAttachment struct {
	ID          string `json:"id"`
	Filename    string `json:"filename"`
	ContentType string `json:"content_type,omitempty"`
	Size        int64  `json:"size"`
}

// wire renders m the way Discord answers; users resolves mentioned IDs.
func (m *Message) wire(users map[string]*discordgo.User) wireMessage {
	w := wireMessage{
		ID:              m.ID,
		Type:            m.Type,
		ChannelID:       m.ChannelID,
		Author:          userJSON(&m.Author),
		Content:         m.Content,
		Timestamp:       m.Timestamp.UTC().Format(time.RFC3339Nano),
		TTS:             m.TTS,
		MentionEveryone: m.Pinged.Everyone,
		Mentions:        []wireUser{},
		MentionRoles:    append([]string{}, m.Pinged.Roles...),
		Attachments:     []wireAttachment{},
		Embeds:          m.Embeds,
		Components:      m.Components,
		Flags:           m.Flags,
		Nonce:           m.Nonce,
		WebhookID:       m.WebhookID,
	}
	if m.WebhookID != "" {
		w.ApplicationID = m.WebhookID
	}
	if !m.EditedTimestamp.IsZero() {
		ts := m.EditedTimestamp.UTC().Format(time.RFC3339Nano)
		w.EditedTimestamp = &ts
	}
	if w.Embeds == nil {
		w.Embeds = []*discordgo.MessageEmbed{}
	}
	if len(w.Components) == 0 || string(w.Components) == "null" {
		w.Components = json.RawMessage("[]")
	}
	for _, id := range m.Pinged.Users {
		u, ok := users[id]
		if !ok {
			u = &discordgo.User{ID: id}
		}
		w.Mentions = append(w.Mentions, userJSON(u))
	}
	for i, a := range m.Attachments {
		w.Attachments = append(w.Attachments, wireAttachment{ID: m.ID + strconv.Itoa(i), Filename: a.Filename, ContentType: a.ContentType, Size: a.Size})
	}
	return w
}

// messageBody is the JSON of create-message, interaction-response data,
// webhook-execute and their edits.
type messageBody struct {
	Content         *string                           `json:"content"`
	Embeds          []*discordgo.MessageEmbed         `json:"embeds"`
	Components      json.RawMessage                   `json:"components"`
	AllowedMentions *discordgo.MessageAllowedMentions `json:"allowed_mentions"`
	Nonce           json.RawMessage                   `json:"nonce"`
	EnforceNonce    bool                              `json:"enforce_nonce"`
	TTS             bool                              `json:"tts"`
	Flags           discordgo.MessageFlags            `json:"flags"`
	StickerIDs      []string                          `json:"sticker_ids"`
	Poll            json.RawMessage                   `json:"poll"`
}

func (b *messageBody) content() string {
	if b.Content == nil {
		return ""
	}
	return *b.Content
}

// hasComponents reports whether raw is a non-empty components array.
func hasComponents(raw json.RawMessage) bool {
	var comps []json.RawMessage
	return len(raw) > 0 && json.Unmarshal(raw, &comps) == nil && len(comps) > 0
}

// isEmpty reports Discord's "Cannot send an empty message" condition.
func (b *messageBody) isEmpty(atts []Attachment) bool {
	hasPoll := len(b.Poll) > 0 && string(b.Poll) != "null"
	return b.content() == "" && len(b.Embeds) == 0 && !hasComponents(b.Components) &&
		len(b.StickerIDs) == 0 && !hasPoll && len(atts) == 0
}

// parseNonce accepts Discord's string-or-integer nonce.
func parseNonce(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var str string
	if err := json.Unmarshal(raw, &str); err == nil {
		return str, nil
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		return "", fmt.Errorf("nonce is neither a string nor an integer")
	}
	if _, err := n.Int64(); err != nil {
		return "", fmt.Errorf("nonce %s is not an integer", n)
	}
	return n.String(), nil
}

// validateMessage checks content, embeds and allowed_mentions against
// Discord's limits and returns Invalid Form Body errors by field path.
func validateMessage(content string, embeds []*discordgo.MessageEmbed, am *discordgo.MessageAllowedMentions, errs formErrors) {
	if n := utf8.RuneCountInString(content); n > maxContentLength {
		errs.add("content", "BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Must be %d or fewer in length.", maxContentLength))
	}
	if len(embeds) > maxEmbeds {
		errs.add("embeds", "BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Must be %d or fewer in length.", maxEmbeds))
	}
	total := 0
	for i, e := range embeds {
		if e == nil {
			continue
		}
		p := "embeds." + strconv.Itoa(i)
		total += checkLen(errs, p+".title", e.Title, maxEmbedTitle)
		total += checkLen(errs, p+".description", e.Description, maxEmbedDescription)
		if len(e.Fields) > maxEmbedFields {
			errs.add(p+".fields", "BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Must be %d or fewer in length.", maxEmbedFields))
		}
		for j, f := range e.Fields {
			if f == nil {
				continue
			}
			fp := p + ".fields." + strconv.Itoa(j)
			if f.Name == "" {
				errs.add(fp+".name", "BASE_TYPE_REQUIRED", "This field is required")
			}
			if f.Value == "" {
				errs.add(fp+".value", "BASE_TYPE_REQUIRED", "This field is required")
			}
			total += checkLen(errs, fp+".name", f.Name, maxEmbedFieldName)
			total += checkLen(errs, fp+".value", f.Value, maxEmbedFieldValue)
		}
		if e.Footer != nil {
			total += checkLen(errs, p+".footer.text", e.Footer.Text, maxEmbedFooter)
		}
		if e.Author != nil {
			total += checkLen(errs, p+".author.name", e.Author.Name, maxEmbedAuthorName)
		}
	}
	if total > maxEmbedTotal {
		errs.add("embeds", "MAX_EMBED_SIZE_EXCEEDED", fmt.Sprintf("Embed size exceeds maximum size of %d", maxEmbedTotal))
	}
	if am != nil {
		if slices.Contains(am.Parse, discordgo.AllowedMentionTypeUsers) && len(am.Users) > 0 {
			errs.add("allowed_mentions", "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE", "parse:[\"users\"] and users: [ids] are mutually exclusive.")
		}
		if slices.Contains(am.Parse, discordgo.AllowedMentionTypeRoles) && len(am.Roles) > 0 {
			errs.add("allowed_mentions", "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE", "parse:[\"roles\"] and roles: [ids] are mutually exclusive.")
		}
		if len(am.Users) > maxAllowedMentionIDs {
			errs.add("allowed_mentions.users", "BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Must be %d or fewer in length.", maxAllowedMentionIDs))
		}
		if len(am.Roles) > maxAllowedMentionIDs {
			errs.add("allowed_mentions.roles", "BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Must be %d or fewer in length.", maxAllowedMentionIDs))
		}
	}
}

// checkLen records an error when s is longer than limit and returns its
// length in characters for the embed total.
func checkLen(errs formErrors, path, s string, limit int) int {
	n := utf8.RuneCountInString(s)
	if n > limit {
		errs.add(path, "BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Must be %d or fewer in length.", limit))
	}
	return n
}

var (
	userMention     = regexp.MustCompile(`<@!?(\d+)>`)
	roleMention     = regexp.MustCompile(`<@&(\d+)>`)
	everyoneMention = regexp.MustCompile(`@(everyone|here)\b`)
)

// mentionRights is what an author may ping in a channel (Discord: "Allowed
// Mentions Object"): a role only if it is mentionable or the author has
// MENTION_EVERYONE, @everyone and @here only with MENTION_EVERYONE.
type mentionRights struct {
	// everyone is MENTION_EVERYONE in the channel.
	everyone bool
	// roles maps the guild's role IDs, without @everyone, to whether the
	// role is mentionable; IDs not in it are not roles and ping nobody.
	roles map[string]bool
}

// pinged applies Discord's mention rules: without allowed_mentions every
// mention in the content may ping; with it, only the parsed kinds and the
// listed IDs may, and only when the content mentions them. Roles and
// @everyone then also need the author's rights.
func pinged(content string, am *discordgo.MessageAllowedMentions, rights mentionRights) Mentions {
	allowed := func(kind discordgo.AllowedMentionType, ids []string, id string) bool {
		return am == nil || slices.Contains(am.Parse, kind) || slices.Contains(ids, id)
	}
	var m Mentions
	m.Everyone = everyoneMention.MatchString(content) && rights.everyone &&
		(am == nil || slices.Contains(am.Parse, discordgo.AllowedMentionTypeEveryone))
	var users, roles []string
	if am != nil {
		users, roles = am.Users, am.Roles
	}
	for _, match := range userMention.FindAllStringSubmatch(content, -1) {
		if id := match[1]; allowed(discordgo.AllowedMentionTypeUsers, users, id) && !slices.Contains(m.Users, id) {
			m.Users = append(m.Users, id)
		}
	}
	for _, match := range roleMention.FindAllStringSubmatch(content, -1) {
		id := match[1]
		mentionable, isRole := rights.roles[id]
		if isRole && (mentionable || rights.everyone) && allowed(discordgo.AllowedMentionTypeRoles, roles, id) && !slices.Contains(m.Roles, id) {
			m.Roles = append(m.Roles, id)
		}
	}
	return m
}

// formErrors collects Invalid Form Body errors by dotted field path.
type formErrors map[string][]fieldError

type fieldError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e formErrors) add(path, code, msg string) {
	e[path] = append(e[path], fieldError{Code: code, Message: msg})
}

// body renders Discord's nested error shape:
// {"code":50035,"errors":{"embeds":{"0":{"title":{"_errors":[...]}}}},"message":"Invalid Form Body"}.
func (e formErrors) body() map[string]any {
	root := map[string]any{}
	for path, list := range e {
		node := root
		for _, part := range strings.Split(path, ".") {
			next, ok := node[part].(map[string]any)
			if !ok {
				next = map[string]any{}
				node[part] = next
			}
			node = next
		}
		node["_errors"] = list
	}
	return map[string]any{"code": CodeInvalidFormBody, "errors": root, "message": "Invalid Form Body"}
}
