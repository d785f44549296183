// Package digest computes, renders and schedules the periodic summary:
// counts against the previous period, the open findings nobody
// acknowledged, the actions taken and the times to acknowledge and
// contain. Each run is claimed in the store so it is posted once.
package digest
