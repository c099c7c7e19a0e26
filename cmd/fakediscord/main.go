// Command fakediscord runs bot/discordtest, the project's fake Discord, as a
// process of its own, for crash soaks of the real vigil binary (see
// cmd/vigil/soak_test.go). It is a test tool: it listens on loopback only
// and holds everything in memory.
//
// It prints one JSON line on stdout: the API base to give vigil as
// discord.api_base, the bot token, the guild and channel IDs, and the
// address of a control server whose GET /messages?channel=ID lists what a
// channel holds, for an independent check of what arrived, and whose GET
// /stats counts the REST requests and the 429s the fake's rate limits
// answered, for benchmarks. With -shards and -guilds the guilds are spread
// over the shards, and the control server also answers GET /shards (live
// gateway sessions per shard), POST /slash?channel=ID (an admin runs
// /watch list there) and GET /interaction?id=ID (how the bot answered it).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/vigilbot/vigil/bot/discordtest"
)

// owner is the discordtest.TB of a process: cleanups run at exit.
type owner struct {
	mu       sync.Mutex
	cleanups []func()
}

func (o *owner) Helper() {}

func (o *owner) Cleanup(f func()) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.cleanups = append(o.cleanups, f)
}

func (o *owner) Errorf(format string, args ...any) { log.Printf("fakediscord: "+format, args...) }

func (o *owner) close() {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := len(o.cleanups) - 1; i >= 0; i-- {
		o.cleanups[i]()
	}
}

// Announcement is the line fakediscord prints when it is ready.
type Announcement struct {
	APIBase  string   `json:"api_base"`
	Token    string   `json:"token"`
	GuildID  string   `json:"guild_id"`
	Channels []string `json:"channels"`
	Control  string   `json:"control"`
	// Guilds lists every guild with its channels when -guilds asks for
	// more than one; the first is GuildID.
	Guilds []AnnouncedGuild `json:"guilds"`
	// ChannelGuilds maps each channel to its guild, and GuildShards each
	// guild to the shard its events go to.
	ChannelGuilds map[string]string `json:"channel_guilds"`
	GuildShards   map[string]int    `json:"guild_shards"`
}

// AnnouncedGuild is one guild of the announcement.
type AnnouncedGuild struct {
	ID       string   `json:"id"`
	Channels []string `json:"channels"`
}

// Stats is what GET /stats answers.
type Stats struct {
	Requests    int `json:"requests"`
	RateLimited int `json:"rate_limited"`
}

// Answer is an interaction as GET /interaction shows it.
type Answer struct {
	Answered  bool   `json:"answered"`
	Callbacks int    `json:"callbacks"`
	Content   string `json:"content"`
}

// Message is a message as the control server lists it.
type Message struct {
	ID     string `json:"id"`
	Nonce  string `json:"nonce"`
	Title  string `json:"title"`
	Footer string `json:"footer"`
	Text   string `json:"text"`
	// Time is when the fake accepted the message.
	Time time.Time `json:"time"`
}

func main() {
	channels := flag.Int("channels", 4, "text channels in each guild")
	guilds := flag.Int("guilds", 1, "guilds, spread over the shards when there are several, each with -channels channels")
	guildID := flag.String("guild", "940000000000000001", "the guild's ID")
	faultRate := flag.Float64("accept-then-drop", 0, "share of message posts Discord accepts but whose answer is lost (0 to 1)")
	shards := flag.Int("shards", 1, "the shard count GET /gateway/bot recommends")
	maxConcurrency := flag.Int("max-concurrency", 0, "enforce session_start_limit.max_concurrency IDENTIFYs per 5 s (0: report 1, enforce nothing)")
	flag.Parse()

	o := &owner{}
	defer o.close()
	var announced []AnnouncedGuild
	var allChannels []string
	channelGuild := map[string]string{}
	shardOf := map[string]int{}
	opts := []discordtest.Option{discordtest.WithRecommendedShards(*shards)}
	if *maxConcurrency > 0 {
		opts = append(opts, discordtest.WithMaxConcurrency(*maxConcurrency))
	}
	for g := range *guilds {
		id := *guildID
		if *guilds > 1 {
			id = guildOnShard(g, *shards)
		}
		guild, ids := soakGuild(id, g, *channels)
		opts = append(opts, discordtest.WithGuild(guild))
		announced = append(announced, AnnouncedGuild{ID: id, Channels: ids})
		allChannels = append(allChannels, ids...)
		for _, ch := range ids {
			channelGuild[ch] = id
		}
		shardOf[id] = discordtest.ShardOf(id, *shards)
	}
	srv := discordtest.NewServer(o, opts...)
	if *faultRate > 0 {
		srv.Inject(func(r *http.Request) *discordtest.Fault {
			if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/messages") && rand.Float64() < *faultRate {
				return discordtest.AcceptThenDrop()
			}
			return nil
		})
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /messages", func(w http.ResponseWriter, r *http.Request) {
		out := []Message{}
		for _, m := range srv.Messages(r.URL.Query().Get("channel")) {
			msg := Message{ID: m.ID, Nonce: m.Nonce, Time: m.Timestamp}
			for _, e := range m.Embeds {
				if msg.Title == "" {
					msg.Title = e.Title
				}
				msg.Text += e.Title + "\n" + e.Description + "\n"
				if e.Footer != nil {
					msg.Footer = e.Footer.Text
				}
			}
			out = append(out, msg)
		}
		json.NewEncoder(w).Encode(out)
	})
	mux.HandleFunc("GET /shards", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(srv.ShardSessions())
	})
	mux.HandleFunc("POST /slash", func(w http.ResponseWriter, r *http.Request) {
		channel := r.URL.Query().Get("channel")
		guild, ok := channelGuild[channel]
		if !ok {
			http.Error(w, "no such channel", http.StatusNotFound)
			return
		}
		admin := discordtest.Member{User: discordtest.User{ID: "950000000000000001", Username: "admin"}, Permissions: discordgo.PermissionAdministrator}
		i := srv.SlashCommand(guild, channel, admin, "watch", discordtest.Subcommand("list"))
		if i == nil {
			http.Error(w, "the command is not registered for that guild", http.StatusConflict)
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"id": i.ID})
	})
	mux.HandleFunc("GET /interaction", func(w http.ResponseWriter, r *http.Request) {
		rec, ok := srv.Interaction(r.URL.Query().Get("id"))
		if !ok {
			http.Error(w, "no such interaction", http.StatusNotFound)
			return
		}
		a := Answer{Answered: rec.Response != nil, Callbacks: rec.Callbacks}
		if rec.Response != nil {
			a.Content = rec.Response.Content
		}
		json.NewEncoder(w).Encode(a)
	})
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(Stats{Requests: len(srv.Requests()), RateLimited: srv.RateLimited()})
	})
	go http.Serve(ln, mux)

	json.NewEncoder(os.Stdout).Encode(Announcement{APIBase: srv.URL(), Token: strings.TrimPrefix(srv.Token(), "Bot "), GuildID: announced[0].ID, Channels: allChannels, Guilds: announced,
		Control: "http://" + ln.Addr().String(), ChannelGuilds: channelGuild, GuildShards: shardOf})
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	<-sig
}

// soakGuild is guild number g with its text channels, where the bot may
// post.
func soakGuild(id string, g, channels int) (*discordgo.Guild, []string) {
	guild := &discordgo.Guild{ID: id, Name: fmt.Sprintf("Soak %d", g), Roles: []*discordgo.Role{{ID: id, Name: "@everyone",
		Permissions: discordgo.PermissionViewChannel | discordgo.PermissionSendMessages | discordgo.PermissionEmbedLinks | discordgo.PermissionReadMessageHistory}}}
	var ids []string
	for i := range channels {
		// The first guild keeps the IDs it always had.
		chID := fmt.Sprintf("94%016d", i+10)
		if g > 0 {
			chID = fmt.Sprintf("96%08d%08d", g, i)
		}
		ids = append(ids, chID)
		guild.Channels = append(guild.Channels, &discordgo.Channel{ID: chID, GuildID: id, Name: fmt.Sprintf("soak-%d", i), Type: discordgo.ChannelTypeGuildText})
	}
	return guild, ids
}

// guildOnShard is a guild ID whose events go to shard i % shards: Discord
// routes by the snowflake's timestamp bits, (id >> 22) % shards.
func guildOnShard(i, shards int) string {
	// A timestamp part of some 63 years past Discord's epoch keeps the IDs
	// at 19 digits, the length of today's.
	const base = 2_000_000_000_000
	t := base - base%uint64(max(shards, 1)) + uint64(i)
	return strconv.FormatUint(t<<22, 10)
}
