// The gRPC integration walkthrough as a Go program, built with grpc-go and stubs generated from
// this project's protos. It makes the calls of the public guide in the order its Go example makes
// them: the approver stream opens in a goroutine at the same moment as the join, so the join can
// reach the hub before any approver listens. Any NanoPing node must get through it every time.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	hubclient "nanoping/grpc/hub_client"
	hubnode "nanoping/grpc/hub_node"
	hubserver "nanoping/grpc/hub_server"
	logging "nanoping/grpc/logging"
	pipelines "nanoping/grpc/pipelines"
)

// The message a node answers with when asked to join a hub it has already joined; the guide's
// program ignores exactly this error.
const alreadyAuthenticated = "Client is already authenticated"

var output sync.Mutex

// say prints one whole line; goroutines print too, so lines must not interleave.
func say(format string, args ...interface{}) {
	output.Lock()
	defer output.Unlock()
	fmt.Printf(format+"\n", args...)
}

func fail(format string, args ...interface{}) {
	output.Lock()
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

func dial(address string) *grpc.ClientConn {
	connection, err := grpc.Dial(address, grpc.WithInsecure())
	if err != nil {
		fail("dial %s: %v", address, err)
	}
	return connection
}

func observeConnectionState(ctx context.Context, client *grpc.ClientConn, connected chan<- struct{}) {
	stream, err := hubclient.NewHubClientServiceClient(client).StreamConnectionState(ctx, &hubclient.StreamConnectionStateRequest{})
	if err != nil {
		fail("streamConnectionState: %v", err)
	}
	go func() {
		signalled := false
		for {
			message, err := stream.Recv()
			if err != nil {
				return
			}
			say("Connection state: %s\n", message.State)
			if message.State == hubclient.ConnectionState_CONNECTED && !signalled {
				signalled = true
				close(connected)
			}
		}
	}()
}

func setClientNodeInformation(ctx context.Context, client *grpc.ClientConn) {
	text := func(value string) *hubnode.NodeMetadataItem {
		return &hubnode.NodeMetadataItem{Value: &hubnode.NodeMetadataItem_StringValue{StringValue: value}}
	}
	reply, err := hubclient.NewHubClientServiceClient(client).SetNode(ctx, &hubclient.SetNodeRequest{
		Name: "My NanoPing Client",
		Metadata: &hubnode.NodeMetadata{Items: map[string]*hubnode.NodeMetadataItem{
			"type":              text("my-type"),
			"reference":         text("my-reference"),
			"location":          text("Denmark, Aalborg"),
			"random_zero_bytes": {Value: &hubnode.NodeMetadataItem_BytesValue{BytesValue: make([]byte, 10)}},
		}},
	})
	if err != nil {
		fail("setNode: %v", err)
	}
	say("Updated client %s with node information", reply.Node.Id)
}

// acceptOneRequest opens the approver stream after delay, reads one join request and accepts it.
func acceptOneRequest(ctx context.Context, controller *grpc.ClientConn, delay time.Duration) {
	time.Sleep(delay)
	stream, err := hubserver.NewHubServerServiceClient(controller).AuthenticationByRequests(ctx)
	if err != nil {
		fail("authenticationByRequests: %v", err)
	}
	request, err := stream.Recv()
	if err != nil {
		return // the program ends (or the client was already a member: no request comes)
	}
	err = stream.Send(&hubserver.AuthenticationByRequestAnswer{RequestId: request.RequestId, Accept: true})
	if err != nil {
		fail("answering join request %s: %v", request.RequestId, err)
	}
}

func authenticateClient(ctx context.Context, client *grpc.ClientConn, hubAddress string) {
	_, err := hubclient.NewHubClientServiceClient(client).AuthenticateByRequest(ctx, &hubclient.AuthenticateByRequestRequest{
		HubServerAddress: hubAddress,
	})
	if err != nil {
		if answer, _ := status.FromError(err); answer.Code() != codes.AlreadyExists || answer.Message() != alreadyAuthenticated {
			fail("authenticateByRequest: %v", err)
		}
	}
	say("Authenticated with the Hub Server")
}

func printNodes(ctx context.Context, client *grpc.ClientConn, title string, request *hubserver.GetNodesRequest) []*hubnode.Node {
	reply, err := hubserver.NewHubServerServiceClient(client).GetNodes(ctx, request)
	if err != nil {
		fail("getNodes (%s): %v", title, err)
	}
	say("%s", title)
	for _, node := range reply.Nodes {
		say(" Node: %s", node.Name)
	}
	say("")
	return reply.Nodes
}

func observePipelineEvents(ctx context.Context, client *grpc.ClientConn, nodeID string) {
	say("Observing pipeline events for node %s", nodeID)
	stream, err := pipelines.NewPipelinesServiceClient(client).StreamPipelines(ctx, &pipelines.StreamPipelinesRequest{NodeId: nodeID})
	if err != nil {
		fail("streamPipelines: %v", err)
	}
	go func() {
		for {
			event, err := stream.Recv()
			if err != nil {
				return
			}
			switch change := event.Event.(type) {
			case *pipelines.StreamPipelinesEvent_Create:
				say("Received create event: %s", change.Create.Pipeline.Id)
			case *pipelines.StreamPipelinesEvent_Update:
				say("Received update event: %s", change.Update.Pipeline.Id)
			case *pipelines.StreamPipelinesEvent_Delete:
				say("Received delete event: %s", change.Delete.Pipeline.Id)
			default:
				fail("unknown pipeline event %T", change)
			}
		}
	}()
}

func pipelineCRUD(ctx context.Context, client *grpc.ClientConn, nodes []*hubnode.Node, config string) {
	service := pipelines.NewPipelinesServiceClient(client)
	for _, node := range nodes {
		say("Doing CRUD pipeline operations on node %s", node.Name)
		created, err := service.CreatePipeline(ctx, &pipelines.CreatePipelineRequest{
			NodeId:                      node.Id,
			JsonConfig:                  config,
			Name:                        "My First Pipeline",
			OptionalDefaultLoggingLevel: &pipelines.CreatePipelineRequest_DefaultLoggingLevel{DefaultLoggingLevel: logging.Level_DEBUG},
			RestartPolicy: &pipelines.RestartPolicy{RestartPolicy: &pipelines.RestartPolicy_OnFailure{
				OnFailure: &pipelines.RestartPolicyOnFailure{MaxRestarts: 3},
			}},
			OptionalInstructionsTimeout: &pipelines.CreatePipelineRequest_InstructionsTimeout{InstructionsTimeout: 15},
		})
		if err != nil {
			fail("createPipeline on %s: %v", node.Name, err)
		}
		say(" Created pipeline %s with id %s", created.Pipeline.Name, created.Pipeline.Id)
		updated, err := service.UpdatePipeline(ctx, &pipelines.UpdatePipelineRequest{
			NodeId:              node.Id,
			Id:                  created.Pipeline.Id,
			JsonConfig:          created.Pipeline.JsonConfig,
			Name:                "My Updated Pipeline",
			RestartPolicy:       created.Pipeline.RestartPolicy,
			DefaultLoggingLevel: created.Pipeline.DefaultLoggingLevel,
			InstructionsTimeout: created.Pipeline.InstructionsTimeout,
		})
		if err != nil {
			fail("updatePipeline on %s: %v", node.Name, err)
		}
		say(" Updated pipeline to name %s for id %s", updated.Pipeline.Name, updated.Pipeline.Id)
		fetched, err := service.GetPipelineById(ctx, &pipelines.GetPipelineByIdRequest{NodeId: node.Id, Id: updated.Pipeline.Id})
		if err != nil {
			fail("getPipelineById on %s: %v", node.Name, err)
		}
		say(" Got pipeline by id %s with name %s", fetched.Pipeline.Id, fetched.Pipeline.Name)
		if _, err = service.DeletePipeline(ctx, &pipelines.DeletePipelineRequest{NodeId: node.Id, Id: fetched.Pipeline.Id}); err != nil {
			fail("deletePipeline on %s: %v", node.Name, err)
		}
		say(" Deleted pipeline with id %s\n", fetched.Pipeline.Id)
	}
}

func main() {
	clientAddress := flag.String("client", "127.0.0.1:10432", "the client node's gRPC API (HOST:PORT)")
	controllerAddress := flag.String("controller", "127.0.0.1:10564", "the controller's gRPC API (HOST:PORT)")
	hubAddress := flag.String("hub", "http://127.0.0.1:8769", "the controller's HTTP address, as the client dials it")
	configPath := flag.String("pipeline-config", "pipeline_config.json", "the pipeline JSON to create on every pipeline node")
	approverDelay := flag.Duration("approver-delay", 0, "open the approver stream this long after the join (0: at the same moment)")
	deadline := flag.Duration("deadline", time.Minute, "fail instead of waiting longer than this in all")
	flag.Parse()
	config, err := os.ReadFile(*configPath)
	if err != nil {
		fail("reading the pipeline config: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *deadline)
	defer cancel()
	time.AfterFunc(*deadline, func() { fail("the walkthrough did not finish within %s", *deadline) })

	client, controller := dial(*clientAddress), dial(*controllerAddress)
	defer client.Close()
	defer controller.Close()
	connected := make(chan struct{})
	observeConnectionState(ctx, client, connected)
	setClientNodeInformation(ctx, client)
	go acceptOneRequest(ctx, controller, *approverDelay)
	authenticateClient(ctx, client, *hubAddress)
	select {
	case <-connected:
	case <-ctx.Done():
		fail("the client did not report CONNECTED")
	}
	printNodes(ctx, client, "All nodes:", &hubserver.GetNodesRequest{})
	printNodes(ctx, client, "Nodes with metadata type=my-type:", &hubserver.GetNodesRequest{
		MetadataFilters: map[string]*hubnode.NodeMetadataItem{
			"type": {Value: &hubnode.NodeMetadataItem_StringValue{StringValue: "my-type"}},
		},
	})
	pipelineNodes := printNodes(ctx, client, "Nodes with Pipelines service enabled:", &hubserver.GetNodesRequest{
		ServiceFilters: []hubnode.NodeService{hubnode.NodeService_PIPELINES},
	})
	for _, node := range pipelineNodes {
		observePipelineEvents(ctx, client, node.Id)
	}
	pipelineCRUD(ctx, client, pipelineNodes, string(config))
	time.Sleep(500 * time.Millisecond) // let the last events print
}
