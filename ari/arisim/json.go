package arisim

import (
	"bytes"
	"encoding/json"
)

// kv is one member of an ordered JSON object. Asterisk's key order differs
// per event type, so events are built as ordered lists, not maps.
type kv struct {
	k string
	v any
}

// obj is an ordered JSON object.
type obj []kv

// MarshalJSON keeps the member order.
func (o obj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(m.k)
		b.Write(k)
		b.WriteByte(':')
		v, err := marshal(m.v)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// marshal is json.Marshal without HTML escaping (Asterisk sends "<" as is).
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// idName is a caller or connected line.
type idName struct {
	Name   string `json:"name"`
	Number string `json:"number"`
}

// dialplanCEP is the channel's dialplan location.
type dialplanCEP struct {
	Context  string `json:"context"`
	Exten    string `json:"exten"`
	Priority int    `json:"priority"`
	AppName  string `json:"app_name"`
	AppData  string `json:"app_data"`
}

// channelJSON is the ARI Channel object, fields in Asterisk's order.
type channelJSON struct {
	ID           string      `json:"id"`
	Name         string      `json:"name"`
	State        string      `json:"state"`
	ProtocolID   string      `json:"protocol_id"`
	Caller       idName      `json:"caller"`
	Connected    idName      `json:"connected"`
	AccountCode  string      `json:"accountcode"`
	Dialplan     dialplanCEP `json:"dialplan"`
	CreationTime string      `json:"creationtime"`
	Language     string      `json:"language"`
}

// bridgeJSON is the ARI Bridge object.
type bridgeJSON struct {
	ID           string   `json:"id"`
	Technology   string   `json:"technology"`
	BridgeType   string   `json:"bridge_type"`
	BridgeClass  string   `json:"bridge_class"`
	Creator      string   `json:"creator"`
	Name         string   `json:"name"`
	Channels     []string `json:"channels"`
	CreationTime string   `json:"creationtime"`
	VideoMode    string   `json:"video_mode"`
}

// playbackJSON is the ARI Playback object.
type playbackJSON struct {
	ID           string `json:"id"`
	MediaURI     string `json:"media_uri"`
	NextMediaURI string `json:"next_media_uri,omitempty"`
	TargetURI    string `json:"target_uri"`
	Language     string `json:"language"`
	State        string `json:"state"`
}

// messageJSON is Asterisk's error body.
type messageJSON struct {
	Message string `json:"message"`
}
