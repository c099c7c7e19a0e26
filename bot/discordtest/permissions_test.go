package discordtest

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
)

// IDs of the guild permGuild builds.
const (
	permGuildID   = "920000000000000001"
	permOwnerID   = "920000000000000100"
	permBobID     = "920000000000000101"
	permCarolID   = "920000000000000102"
	permTextID    = "920000000000000010"
	permThreadID  = "920000000000000011"
	permMutedID   = "920000000000000103"
	permModRoleID = "920000000000000002"
	permPingRole  = "920000000000000003"
	permQuietRole = "920000000000000004"
	permAdminRole = "920000000000000005"
	permBotRoleID = "920000000000000006"
)

// permGuild is a guild with real roles: @everyone may view and read, mods
// may send and manage channels, the bot's role is BotPermissions.
func permGuild() *discordgo.Guild {
	muted := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	return &discordgo.Guild{
		ID: permGuildID, Name: "Permissions", OwnerID: permOwnerID,
		Roles: []*discordgo.Role{
			{ID: permGuildID, Name: "@everyone", Permissions: discordgo.PermissionViewChannel | discordgo.PermissionReadMessageHistory},
			{ID: permModRoleID, Name: "mods", Permissions: discordgo.PermissionSendMessages | discordgo.PermissionManageChannels},
			{ID: permPingRole, Name: "analysts", Mentionable: true, Managed: true},
			{ID: permQuietRole, Name: "quiet"},
			{ID: permAdminRole, Name: "admins", Permissions: discordgo.PermissionAdministrator},
			{ID: permBotRoleID, Name: "Vigil", Permissions: BotPermissions},
		},
		Channels: []*discordgo.Channel{{ID: permTextID, Name: "alerts", Type: discordgo.ChannelTypeGuildText}},
		Threads: []*discordgo.Channel{{ID: permThreadID, Name: "a thread", Type: discordgo.ChannelTypeGuildPublicThread, ParentID: permTextID,
			ThreadMetadata: &discordgo.ThreadMetadata{AutoArchiveDuration: 60}}},
		Members: []*discordgo.Member{
			{User: &discordgo.User{ID: DefaultBotUserID, Username: DefaultBotUsername, Bot: true}, Roles: []string{permBotRoleID}},
			{User: &discordgo.User{ID: permOwnerID, Username: "owner"}},
			{User: &discordgo.User{ID: permBobID, Username: "bob"}, Roles: []string{permModRoleID}},
			{User: &discordgo.User{ID: permCarolID, Username: "carol"}, Roles: []string{permAdminRole}},
			{User: &discordgo.User{ID: permMutedID, Username: "muted"}, Roles: []string{permModRoleID}, CommunicationDisabledUntil: &muted},
		},
	}
}

func roleOverwrite(id string, allow, deny int64) *discordgo.PermissionOverwrite {
	return &discordgo.PermissionOverwrite{ID: id, Type: discordgo.PermissionOverwriteTypeRole, Allow: allow, Deny: deny}
}

func memberOverwrite(id string, allow, deny int64) *discordgo.PermissionOverwrite {
	return &discordgo.PermissionOverwrite{ID: id, Type: discordgo.PermissionOverwriteTypeMember, Allow: allow, Deny: deny}
}

func TestPermissionsFollowDiscordsOverwriteAlgorithm(t *testing.T) {
	t.Parallel()
	const (
		view    = discordgo.PermissionViewChannel
		send    = discordgo.PermissionSendMessages
		history = discordgo.PermissionReadMessageHistory
		manage  = discordgo.PermissionManageChannels
	)
	tests := []struct {
		name       string
		overwrites []*discordgo.PermissionOverwrite
		channel    string
		user       string
		want       int64
	}{
		{name: "a member gets @everyone and their roles", channel: permTextID, user: permBobID, want: view | history | send | manage},
		{name: "a stranger gets @everyone alone", channel: permTextID, user: "42", want: view | history},
		{name: "the owner gets everything", channel: permTextID, user: permOwnerID, want: allPermissions,
			overwrites: []*discordgo.PermissionOverwrite{memberOverwrite(permOwnerID, 0, view)}},
		{name: "an administrator gets everything despite overwrites", channel: permTextID, user: permCarolID, want: allPermissions,
			overwrites: []*discordgo.PermissionOverwrite{roleOverwrite(permGuildID, 0, view), memberOverwrite(permCarolID, 0, view)}},
		{name: "the @everyone overwrite denies, then allows", channel: permTextID, user: "42", want: send,
			overwrites: []*discordgo.PermissionOverwrite{roleOverwrite(permGuildID, send, view|history)}},
		{name: "a role overwrite's allow beats the @everyone overwrite's deny", channel: permTextID, user: permBobID, want: view | history | send | manage,
			overwrites: []*discordgo.PermissionOverwrite{roleOverwrite(permGuildID, 0, view), roleOverwrite(permModRoleID, view, 0)}},
		{name: "role overwrites deny together, then allow together", channel: permTextID, user: permBobID, want: view | history | send,
			overwrites: []*discordgo.PermissionOverwrite{roleOverwrite(permModRoleID, send, send|manage)}},
		{name: "an overwrite for a role the member lacks does nothing", channel: permTextID, user: permBobID, want: view | history | send | manage,
			overwrites: []*discordgo.PermissionOverwrite{roleOverwrite(permQuietRole, 0, view|send)}},
		{name: "the member's overwrite comes last", channel: permTextID, user: permBobID, want: history | manage | discordgo.PermissionEmbedLinks,
			overwrites: []*discordgo.PermissionOverwrite{roleOverwrite(permModRoleID, view, 0), memberOverwrite(permBobID, discordgo.PermissionEmbedLinks, view|send)}},
		{name: "a thread takes its parent's overwrites", channel: permThreadID, user: permBobID, want: view | history | manage,
			overwrites: []*discordgo.PermissionOverwrite{memberOverwrite(permBobID, 0, send)}},
		{name: "a timed-out member keeps only View Channel and Read Message History", channel: permTextID, user: permMutedID, want: view | history},
		{name: "an unknown channel gives nothing", channel: "1", user: permBobID, want: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := NewServer(t, WithGuild(permGuild()), WithClock(fixedClock))
			if tt.overwrites != nil {
				srv.SetChannelOverwrites(permTextID, tt.overwrites)
			}
			if got := srv.Permissions(tt.channel, tt.user); got != tt.want {
				t.Errorf("Permissions = %b, want %b", got, tt.want)
			}
		})
	}
}

func fixedClock() time.Time { return time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC) }

func TestAGuildWithoutAnEveryoneRoleHasDiscordsDefaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		roles []*discordgo.Role
		want  int64
	}{
		{name: "no roles at all gives the new-server defaults", want: DefaultEveryonePermissions},
		{name: "other roles but no @everyone still gives the defaults", roles: []*discordgo.Role{{ID: "5", Name: "x", Permissions: discordgo.PermissionManageChannels}},
			want: DefaultEveryonePermissions},
		{name: "a defined @everyone role gives exactly what it says", roles: []*discordgo.Role{{ID: guildID, Name: "@everyone", Permissions: discordgo.PermissionViewChannel}},
			want: discordgo.PermissionViewChannel},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := &discordgo.Guild{ID: guildID, Name: "bare", Roles: tt.roles, Channels: []*discordgo.Channel{{ID: alertsChannelID, Type: discordgo.ChannelTypeGuildText}}}
			srv := NewServer(t, WithGuild(g))
			if got := srv.Permissions(alertsChannelID, DefaultBotUserID); got != tt.want {
				t.Errorf("bot permissions = %b, want %b", got, tt.want)
			}
		})
	}
	if DefaultEveryonePermissions&BotPermissions != BotPermissions || DefaultEveryonePermissions&discordgo.PermissionMentionEveryone != 0 {
		t.Errorf("DefaultEveryonePermissions = %b: want BotPermissions and no Mention Everyone", DefaultEveryonePermissions)
	}
}

func TestPostingFollowsTheBotsChannelPermissions(t *testing.T) {
	t.Parallel()
	embed := []*discordgo.MessageEmbed{{Title: "Ransomware hits Tallinn port"}}
	tests := []struct {
		name       string
		channel    string
		overwrites []*discordgo.PermissionOverwrite
		msg        *discordgo.MessageSend
		status     int
		code       int
		wantEmbeds int
	}{
		{name: "with BotPermissions the post and its embed go through", channel: permTextID, msg: &discordgo.MessageSend{Content: "x", Embeds: embed}, status: 200, wantEmbeds: 1},
		{name: "without View Channel it is Missing Access", channel: permTextID, overwrites: []*discordgo.PermissionOverwrite{memberOverwrite(DefaultBotUserID, 0, discordgo.PermissionViewChannel)},
			msg: &discordgo.MessageSend{Content: "x"}, status: 403, code: CodeMissingAccess},
		{name: "without Send Messages it is Missing Permissions", channel: permTextID, overwrites: []*discordgo.PermissionOverwrite{roleOverwrite(permBotRoleID, 0, discordgo.PermissionSendMessages)},
			msg: &discordgo.MessageSend{Content: "x"}, status: 403, code: CodeMissingPermissions},
		{name: "without Embed Links the embeds are dropped", channel: permTextID, overwrites: []*discordgo.PermissionOverwrite{roleOverwrite(permBotRoleID, 0, discordgo.PermissionEmbedLinks)},
			msg: &discordgo.MessageSend{Content: "x", Embeds: embed}, status: 200, wantEmbeds: 0},
		{name: "without Embed Links an embed-only post is empty", channel: permTextID, overwrites: []*discordgo.PermissionOverwrite{roleOverwrite(permBotRoleID, 0, discordgo.PermissionEmbedLinks)},
			msg: &discordgo.MessageSend{Embeds: embed}, status: 400, code: CodeCannotSendEmptyMessage},
		{name: "in a thread Send Messages in Threads suffices", channel: permThreadID, overwrites: []*discordgo.PermissionOverwrite{roleOverwrite(permBotRoleID, 0, discordgo.PermissionSendMessages)},
			msg: &discordgo.MessageSend{Content: "x", Embeds: embed}, status: 200, wantEmbeds: 1},
		{name: "in a thread Send Messages does not suffice", channel: permThreadID, overwrites: []*discordgo.PermissionOverwrite{roleOverwrite(permBotRoleID, 0, discordgo.PermissionSendMessagesInThreads)},
			msg: &discordgo.MessageSend{Content: "x"}, status: 403, code: CodeMissingPermissions},
		{name: "a thread of a channel the bot cannot see is Missing Access", channel: permThreadID, overwrites: []*discordgo.PermissionOverwrite{roleOverwrite(permGuildID, 0, discordgo.PermissionViewChannel)},
			msg: &discordgo.MessageSend{Content: "x"}, status: 403, code: CodeMissingAccess},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := NewServer(t, WithGuild(permGuild()))
			if tt.overwrites != nil {
				srv.SetChannelOverwrites(permTextID, tt.overwrites)
			}
			sent, err := restSession(t, srv).ChannelMessageSendComplex(tt.channel, tt.msg)
			if tt.status != http.StatusOK {
				restError(t, err, tt.status, tt.code)
				if n := len(srv.Messages(tt.channel)); n != 0 {
					t.Errorf("%d messages stored behind the refusal", n)
				}
				return
			}
			if err != nil {
				t.Fatalf("send: %v", err)
			}
			if len(sent.Embeds) != tt.wantEmbeds || len(srv.Messages(tt.channel)[0].Embeds) != tt.wantEmbeds {
				t.Errorf("answer has %d embeds, stored %d; want %d", len(sent.Embeds), len(srv.Messages(tt.channel)[0].Embeds), tt.wantEmbeds)
			}
		})
	}
}

func TestArchivedAndLockedThreads(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		locked       bool
		manage       bool
		status, code int
		wantArchived bool
	}{
		{name: "a post unarchives an archived thread", status: 200, wantArchived: false},
		{name: "a locked archived thread refuses the post", locked: true, status: 403, code: CodeThreadArchived, wantArchived: true},
		{name: "with Manage Threads a post unarchives even a locked thread", locked: true, manage: true, status: 200, wantArchived: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := permGuild()
			if tt.manage {
				g.Roles[len(g.Roles)-1].Permissions |= discordgo.PermissionManageThreads
			}
			srv := NewServer(t, WithGuild(g))
			c := dialAndHello(t, srv)
			c.identify(srv.Token(), false)
			c.expectDispatch("READY", 1)
			c.expectDispatch("GUILD_CREATE", 2)
			srv.ArchiveThread(permThreadID, tt.locked)
			if p := c.expectDispatch("THREAD_UPDATE", 3); !strings.Contains(string(p.D), `"archived":true`) {
				t.Errorf("THREAD_UPDATE = %s, want the thread archived", p.D)
			}
			_, err := restSession(t, srv).ChannelMessageSend(permThreadID, "alert")
			if tt.status != http.StatusOK {
				restError(t, err, tt.status, tt.code)
			} else if err != nil {
				t.Fatalf("send: %v", err)
			} else if p := c.expectDispatch("THREAD_UPDATE", 4); !strings.Contains(string(p.D), `"archived":false`) {
				t.Errorf("THREAD_UPDATE after the post = %s, want the thread active", p.D)
			}
			ch, err := restSession(t, srv).Channel(permThreadID)
			if err != nil {
				t.Fatal(err)
			}
			if ch.ThreadMetadata == nil || ch.ThreadMetadata.Archived != tt.wantArchived || ch.ThreadMetadata.Locked != tt.locked {
				t.Errorf("thread metadata = %+v, want archived %v, locked %v", ch.ThreadMetadata, tt.wantArchived, tt.locked)
			}
		})
	}
}

func TestMessagesInArchivedThreadsCannotBeEdited(t *testing.T) {
	t.Parallel()
	srv := NewServer(t, WithGuild(permGuild()))
	session := restSession(t, srv)
	m, err := session.ChannelMessageSend(permThreadID, "first")
	if err != nil {
		t.Fatal(err)
	}
	srv.ArchiveThread(permThreadID, false)
	_, err = session.ChannelMessageEdit(permThreadID, m.ID, "edited")
	restError(t, err, http.StatusBadRequest, CodeThreadArchived)
	if got := srv.Messages(permThreadID)[0].Content; got != "first" {
		t.Errorf("content = %q after a refused edit", got)
	}
	// Deleting is the one thing an archived thread allows.
	if err := session.ChannelMessageDelete(permThreadID, m.ID); err != nil {
		t.Errorf("delete in an archived thread: %v", err)
	}
}

func TestListingMessages(t *testing.T) {
	t.Parallel()
	srv := NewServer(t, WithGuild(permGuild()))
	session := restSession(t, srv)
	var ids []string
	for i := range 6 {
		m, err := session.ChannelMessageSend(permTextID, fmt.Sprint("message ", i))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	tests := []struct {
		name                  string
		limit                 int
		before, after, around string
		want                  []string
	}{
		{name: "without an anchor the newest come first", limit: 2, want: []string{ids[5], ids[4]}},
		{name: "before gives the newest older than the ID", limit: 2, before: ids[3], want: []string{ids[2], ids[1]}},
		{name: "after gives those right after the ID, newest first", limit: 2, after: ids[0], want: []string{ids[2], ids[1]}},
		{name: "after near the end gives what is left", limit: 5, after: ids[3], want: []string{ids[5], ids[4]}},
		{name: "around gives both sides of the ID", limit: 4, around: ids[3], want: []string{ids[5], ids[4], ids[3], ids[2]}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page, err := session.ChannelMessages(permTextID, tt.limit, tt.before, tt.after, tt.around)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range page {
				got = append(got, m.ID)
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("page = %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("before and after together are refused", func(t *testing.T) {
		_, err := session.ChannelMessages(permTextID, 2, ids[4], ids[1], "")
		restError(t, err, http.StatusBadRequest, CodeInvalidFormBody)
	})
	t.Run("without Read Message History the list is empty", func(t *testing.T) {
		srv.SetChannelOverwrites(permTextID, []*discordgo.PermissionOverwrite{memberOverwrite(DefaultBotUserID, 0, discordgo.PermissionReadMessageHistory)})
		page, err := session.ChannelMessages(permTextID, 10, "", "", "")
		if err != nil || len(page) != 0 {
			t.Errorf("page = %d messages, %v; want none and no error", len(page), err)
		}
	})
	t.Run("without View Channel the list is Missing Access", func(t *testing.T) {
		srv.SetChannelOverwrites(permTextID, []*discordgo.PermissionOverwrite{memberOverwrite(DefaultBotUserID, 0, discordgo.PermissionViewChannel)})
		_, err := session.ChannelMessages(permTextID, 10, "", "", "")
		restError(t, err, http.StatusForbidden, CodeMissingAccess)
	})
}

func TestRoleAndEveryoneMentionsNeedTheRight(t *testing.T) {
	t.Parallel()
	content := "<@&" + permPingRole + "> <@&" + permQuietRole + "> <@&999> @everyone"
	tests := []struct {
		name         string
		mentionAll   bool
		am           *discordgo.MessageAllowedMentions
		wantRoles    string
		wantEveryone bool
	}{
		{name: "without Mention Everyone only mentionable roles ping", wantRoles: permPingRole},
		{name: "with Mention Everyone every real role and @everyone ping", mentionAll: true, wantRoles: permPingRole + "," + permQuietRole, wantEveryone: true},
		{name: "allowed_mentions still limits an author who may mention everyone", mentionAll: true,
			am: &discordgo.MessageAllowedMentions{Roles: []string{permQuietRole}}, wantRoles: permQuietRole},
		{name: "allowed_mentions cannot make a quiet role ping", am: &discordgo.MessageAllowedMentions{Roles: []string{permQuietRole}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := permGuild()
			if tt.mentionAll {
				g.Roles[len(g.Roles)-1].Permissions |= discordgo.PermissionMentionEveryone
			}
			srv := NewServer(t, WithGuild(g))
			sent, err := restSession(t, srv).ChannelMessageSendComplex(permTextID, &discordgo.MessageSend{Content: content, AllowedMentions: tt.am})
			if err != nil {
				t.Fatal(err)
			}
			got := srv.Messages(permTextID)[0].Pinged
			if strings.Join(got.Roles, ",") != tt.wantRoles || got.Everyone != tt.wantEveryone {
				t.Errorf("pinged %+v, want roles %q and everyone %v", got, tt.wantRoles, tt.wantEveryone)
			}
			if strings.Join(sent.MentionRoles, ",") != tt.wantRoles || sent.MentionEveryone != tt.wantEveryone {
				t.Errorf("answer mention_roles %v, mention_everyone %v", sent.MentionRoles, sent.MentionEveryone)
			}
		})
	}
	t.Run("a role turned mentionable by SetRole pings", func(t *testing.T) {
		t.Parallel()
		srv := NewServer(t, WithGuild(permGuild()))
		srv.SetRole(permGuildID, &discordgo.Role{ID: permQuietRole, Name: "quiet", Mentionable: true})
		if _, err := restSession(t, srv).ChannelMessageSend(permTextID, "<@&"+permQuietRole+">"); err != nil {
			t.Fatal(err)
		}
		if got := srv.Messages(permTextID)[0].Pinged.Roles; len(got) != 1 {
			t.Errorf("pinged roles %v, want the quiet role", got)
		}
	})
}

// recordingTB is a TB that keeps the test's failures to itself, for
// asserting that the fake refuses to simulate what Discord would not do.
type recordingTB struct {
	*testing.T
	mu     sync.Mutex
	errors []string
}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recordingTB) failures() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.errors...)
}

// interactionServer is the permissions guild with a raw gateway client
// identified, so that interactions can be dispatched, and commands
// registered as the bot would.
func interactionServer(t *testing.T, cmds []*discordgo.ApplicationCommand, scope string) (*Server, *recordingTB) {
	t.Helper()
	tb := &recordingTB{T: t}
	srv := NewServer(tb, WithGuild(permGuild()))
	c := dialAndHello(t, srv)
	c.identify(srv.Token(), false)
	c.expectDispatch("READY", 1)
	if cmds != nil {
		if _, err := restSession(t, srv).ApplicationCommandBulkOverwrite(srv.ApplicationID(), scope, cmds); err != nil {
			t.Fatal(err)
		}
	}
	return srv, tb
}

func TestInteractionsCarryChannelPermissions(t *testing.T) {
	t.Parallel()
	srv, tb := interactionServer(t, nil, "")
	srv.SetChannelOverwrites(permTextID, []*discordgo.PermissionOverwrite{
		memberOverwrite(DefaultBotUserID, 0, discordgo.PermissionEmbedLinks),
		roleOverwrite(permModRoleID, 0, discordgo.PermissionManageChannels),
	})
	bob := Member{User: User{ID: permBobID, Username: "bob"}}
	i := srv.SlashCommand(permGuildID, permTextID, bob, "ping")
	if i == nil {
		t.Fatalf("no interaction: %v", tb.failures())
	}
	if want := BotPermissions&^discordgo.PermissionEmbedLinks | discordgo.PermissionViewChannel | discordgo.PermissionReadMessageHistory; i.AppPermissions != want {
		t.Errorf("app_permissions = %b, want the bot's in the channel %b", i.AppPermissions, want)
	}
	if want := int64(discordgo.PermissionViewChannel | discordgo.PermissionReadMessageHistory | discordgo.PermissionSendMessages); i.Member.Permissions != want {
		t.Errorf("member.permissions = %b, want bob's in the channel %b", i.Member.Permissions, want)
	}
	if len(i.Member.Roles) != 1 || i.Member.Roles[0] != permModRoleID {
		t.Errorf("member.roles = %v, want bob's stored roles", i.Member.Roles)
	}
	explicit := Member{User: User{ID: permBobID, Username: "bob"}, Permissions: discordgo.PermissionManageChannels}
	if i := srv.SlashCommand(permGuildID, permTextID, explicit, "ping"); i == nil || i.Member.Permissions != discordgo.PermissionManageChannels {
		t.Errorf("an explicit Member.Permissions was not kept")
	}
}

func TestDefaultMemberPermissionsDecideWhoMayInvoke(t *testing.T) {
	t.Parallel()
	manage := int64(discordgo.PermissionManageChannels)
	two := int64(discordgo.PermissionManageChannels | discordgo.PermissionManageRoles)
	adminsOnly := int64(0)
	cmds := func(perms *int64) []*discordgo.ApplicationCommand {
		return []*discordgo.ApplicationCommand{{Name: "setup", Description: "Set up", DefaultMemberPermissions: perms}}
	}
	bob := Member{User: User{ID: permBobID, Username: "bob"}}
	stranger := Member{User: User{ID: "42", Username: "stranger"}}
	tests := []struct {
		name   string
		perms  *int64
		scope  string
		member Member
		// overwrites on the channel the command is used in
		overwrites []*discordgo.PermissionOverwrite
		want       bool
	}{
		{name: "no default permissions lets everyone in", perms: nil, member: stranger, want: true},
		{name: "a member whose roles grant the permission may", perms: &manage, member: bob, want: true},
		{name: "a member without it may not", perms: &manage, member: stranger, want: false},
		{name: "the permission denied in the channel hides the command there", perms: &manage, member: bob,
			overwrites: []*discordgo.PermissionOverwrite{roleOverwrite(permModRoleID, 0, discordgo.PermissionManageChannels)}, want: false},
		{name: "every permission of the set is needed", perms: &two, member: bob, want: false},
		{name: "an explicit Member.Permissions is what counts", perms: &two, member: Member{User: stranger.User, Permissions: two}, want: true},
		{name: "\"0\" lets only administrators in", perms: &adminsOnly, member: Member{User: stranger.User, Permissions: discordgo.PermissionAll &^ discordgo.PermissionAdministrator}, want: false},
		{name: "an administrator passes \"0\"", perms: &adminsOnly, member: Member{User: User{ID: permCarolID, Username: "carol"}}, want: true},
		{name: "the owner passes", perms: &adminsOnly, member: Member{User: User{ID: permOwnerID, Username: "owner"}}, want: true},
		{name: "a global command counts too", perms: &manage, scope: "global", member: stranger, want: false},
		{name: "an admin's grant lets a member in", perms: &adminsOnly, member: Member{User: stranger.User, Granted: true}, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			scope := permGuildID
			if tt.scope == "global" {
				scope = ""
			}
			srv, tb := interactionServer(t, cmds(tt.perms), scope)
			if tt.overwrites != nil {
				srv.SetChannelOverwrites(permTextID, tt.overwrites)
			}
			if got := srv.CanUseIn(permGuildID, permTextID, tt.member, "setup"); got != tt.want {
				t.Errorf("CanUseIn = %v, want %v", got, tt.want)
			}
			i := srv.SlashCommand(permGuildID, permTextID, tt.member, "setup")
			ac := srv.Autocomplete(permGuildID, permTextID, tt.member, "setup", Focused(StringOption("q", "x")))
			failures := tb.failures()
			if tt.want && (i == nil || ac == nil || len(failures) > 0) {
				t.Errorf("a permitted member's interactions were refused: %v", failures)
			}
			if !tt.want && (i != nil || ac != nil || len(failures) != 2 || !strings.Contains(failures[0], "default_member_permissions")) {
				t.Errorf("refused interactions returned %v and %v, failures %v; want nil and two clear failures", i, ac, failures)
			}
		})
	}
	t.Run("an unregistered command is offered to no one", func(t *testing.T) {
		t.Parallel()
		srv, _ := interactionServer(t, nil, "")
		if srv.CanUse(permGuildID, Member{User: User{ID: permOwnerID}}, "setup") {
			t.Error("CanUse is true for a command the bot never registered")
		}
	})
}

func TestRoleOptionsNameRealRoles(t *testing.T) {
	t.Parallel()
	bob := Member{User: User{ID: permBobID, Username: "bob"}}
	t.Run("a role of the guild resolves as stored", func(t *testing.T) {
		t.Parallel()
		srv, tb := interactionServer(t, nil, "")
		i := srv.SlashCommand(permGuildID, permTextID, bob, "notify", RoleOption("role", permPingRole))
		if i == nil {
			t.Fatalf("no interaction: %v", tb.failures())
		}
		r := i.ApplicationCommandData().Resolved.Roles[permPingRole]
		if r == nil || !r.Mentionable || !r.Managed || r.Name != "analysts" {
			t.Errorf("resolved role = %+v, want analysts, mentionable and managed", r)
		}
	})
	t.Run("a role ID the guild does not have fails the test", func(t *testing.T) {
		t.Parallel()
		srv, tb := interactionServer(t, nil, "")
		if i := srv.SlashCommand(permGuildID, permTextID, bob, "notify", Subcommand("set", RoleOption("role", "31337"))); i != nil {
			t.Errorf("dispatched an interaction with a made-up role")
		}
		if f := tb.failures(); len(f) != 1 || !strings.Contains(f[0], "31337") {
			t.Errorf("failures = %v, want one naming the role", f)
		}
	})
}
