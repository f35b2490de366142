package recorder

import (
	"reflect"
	"testing"
)

func TestPausesBecomeSpansAndOnlyCapturingTakesMedia(t *testing.T) {
	p := NewPauseLog()
	if !p.Capturing() || p.Resume(at(10)) {
		t.Fatal("a new capture is not capturing, or resumed without a pause")
	}
	if !p.Pause(at(1000)) || p.Capturing() || p.Pause(at(1100)) {
		t.Fatal("pause: not paused, or paused twice")
	}
	if got := p.Through(at(1500)); !reflect.DeepEqual(got, []Span{{at(1000).UnixMilli(), at(1500).UnixMilli()}}) {
		t.Fatalf("a pause in progress as of 1.5 s: %v", got)
	}
	if !p.Resume(at(2000)) || !p.Capturing() {
		t.Fatal("resume did not resume")
	}
	p.Pause(at(3000))
	p.Stop(at(3500))
	want := []Span{{at(1000).UnixMilli(), at(2000).UnixMilli()}, {at(3000).UnixMilli(), at(3500).UnixMilli()}}
	if got := p.Finished(); !reflect.DeepEqual(got, want) {
		t.Fatalf("spans %v, want %v (stop ends the pause in progress)", got, want)
	}
	if p.State() != StateStopped || p.Resume(at(4000)) || p.Pause(at(4000)) || p.Capturing() {
		t.Fatal("a stopped capture came back")
	}
}

func TestAPauseShorterThanAMillisecondLeavesNoSpan(t *testing.T) {
	p := NewPauseLog()
	p.Pause(at(1000))
	p.Resume(at(1000))
	if len(p.Finished()) != 0 {
		t.Fatalf("spans %v", p.Finished())
	}
}
