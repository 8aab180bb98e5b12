package arisim_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/coder/websocket"

	"github.com/tenesa-ivr/tenesa-ivr/ari/arisim"
)

// Place a scripted call and drive it as a controller would: read
// StasisStart from /ari/events, answer over REST, and let the caller press
// a digit and hang up. Real controllers use the CyCoreSystems client
// (native.Connect with s.URL() and s.WebsocketURL()).
func ExampleServer_PlaceCall() {
	s := arisim.New(arisim.Options{TimeScale: 0.01}) // 100x faster than real time, no auth
	if err := s.Start("127.0.0.1:0"); err != nil {
		panic(err)
	}
	defer s.Close()

	ctx := context.Background()
	ws, _, err := websocket.Dial(ctx, s.WebsocketURL()+"?app=tenesa-ivr", nil)
	if err != nil {
		panic(err)
	}
	defer ws.CloseNow()
	for s.ActiveSockets("tenesa-ivr") == 0 {
		time.Sleep(time.Millisecond)
	}

	call, err := s.PlaceCall(arisim.Caller{
		Number: "0812000111",
		Script: []arisim.Step{arisim.Wait(2 * time.Second), arisim.Press("1"), arisim.HangUp()},
	})
	if err != nil {
		panic(err)
	}

	_, msg, _ := ws.Read(ctx)
	var ev struct {
		Type    string   `json:"type"`
		Args    []string `json:"args"`
		Channel struct {
			ID    string `json:"id"`
			State string `json:"state"`
		} `json:"channel"`
	}
	_ = json.Unmarshal(msg, &ev)
	fmt.Println(ev.Type, ev.Args, ev.Channel.State)

	resp, err := http.Post(s.URL()+"/channels/"+ev.Channel.ID+"/answer", "application/json", nil)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println("answer:", resp.StatusCode)

	<-call.Done()
	r := call.Transcript()
	fmt.Println("answered:", r.Answered, "dtmf:", r.DTMFSent, "hung up by:", r.HungUpBy)
	// Output:
	// StasisStart [8000] Ring
	// answer: 204
	// answered: true dtmf: 1 hung up by: caller
}
